using System.Globalization;
using System.Text.Json;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Pipeline.World;
using Zephyr.Alignment.Sft;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Tokenization;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Pipeline.Stages;

/// <summary>
/// The base model: a byte-level BPE tokenizer trained on the world's text, then a tiny Llama from random weights trained
/// on the raw text (every token in the loss, no chat format) with the library's <see cref="TrainingLoop{TBatch}"/> and the
/// SFT objective, saved as a Hugging Face checkpoint folder.
/// </summary>
internal static class PretrainStage
{
    /// <summary>The Zephyr chat template as the alignment-handbook writes it into <c>tokenizer_config.json</c>.</summary>
    public const string ZephyrJinja =
        "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n" +
        "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n" +
        "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n" +
        "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

    public static string Run(PipelineContext context, CancellationToken cancellationToken)
    {
        PipelineOptions options = context.Options;
        RunLayout layout = context.Layout;
        string output = layout.Stage(StageNames.Base);
        var progress = context.Console.Start(StageNames.Base, "steps");

        List<string> documents = TaskWorld.RawText(options.PretrainDocuments, options.Seed);
        Directory.CreateDirectory(layout.Data);
        JsonLinesFile.Write(Path.Combine(layout.Data, "pretrain.jsonl"), documents.Select(d => new { text = d }));

        // The tokenizer sees the raw text and the instructions and answers, as a real tokenizer sees its whole domain.
        IEnumerable<string> corpus = documents
            .Concat(context.Splits.Sft.Select(t => t.Prompt))
            .Concat(context.SftDemonstrations);
        int merges = ByteLevelBpeTrainer.Train(corpus, new ByteLevelBpeTrainerOptions
        {
            VocabularySize = options.VocabularySize,
            AdditionalTokens = ["<|system|>", "<|user|>", "<|assistant|>"],
            ChatTemplate = ZephyrJinja,
            ModelMaxLength = options.MaxLength * 2,
        }, layout.Tokenizer);
        ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(layout.Tokenizer);
        int eos = tokenizer.EosToken!.Id;
        var examples = documents
            .Select(d => tokenizer.Encode(d).Ids.Append(eos).ToArray())
            .Select(ids => new TokenizedConversation(ids, Enumerable.Repeat(true, ids.Length).ToArray()))
            .ToList();
        var data = SftDataset.Packed(examples, options.MaxLength, tokenizer.PadToken!.Id);

        var config = new TransformerConfig
        {
            Architectures = ["LlamaForCausalLM"],
            ModelType = "llama",
            HiddenSize = options.HiddenSize,
            IntermediateSize = options.HiddenSize * 8 / 3 / 16 * 16,
            NumHiddenLayers = options.Layers,
            NumAttentionHeads = options.Heads,
            NumKeyValueHeads = Math.Max(1, options.Heads / 2),
            MaxPositionEmbeddings = options.MaxLength * 2,
            VocabSize = tokenizer.VocabularySize,
            RopeTheta = 10000,
            TieWordEmbeddings = true,
            BosTokenId = tokenizer.BosToken!.Id,
            EosTokenIds = [eos],
            PadTokenId = tokenizer.PadToken.Id,
            InitializerRange = 0.02,
        };
        using CausalLanguageModel model = CausalLanguageModel.CreateRandom(config, seed: options.Seed);
        long parameters = model.parameters().Sum(p => p.numel());
        progress.Note(string.Create(CultureInfo.InvariantCulture,
            $"tokenizer: {tokenizer.VocabularySize} ids ({merges} merges); model: {parameters:N0} parameters; {examples.Count} documents in {data.Count} packed rows of {options.MaxLength} tokens"));

        var training = new TrainingOptions
        {
            OutputDirectory = output,
            MaxSteps = options.PretrainSteps,
            LearningRate = options.PretrainLearningRate,
            WarmupRatio = 0.05,
            WeightDecay = 0.1,
            PerDeviceTrainBatchSize = options.BatchSize,
            LoggingSteps = options.LoggingSteps,
            SaveSteps = 0,
            Seed = options.Seed,
            ResumeFromCheckpoint = options.Resume ? "latest" : null,
        };
        var (callbacks, tensorBoard) = context.TrainingCallbacks(StageNames.Base, progress, MetricNames.MeanTokenAccuracy);
        {
            var loop = new TrainingLoop<Sft.SftBatch>(model, new SftObjective(), data, training, callbacks: callbacks, logger: context.Loggers.CreateLogger("pretrain"));
            TrainingResult result = loop.Run(cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            FinalModel.Save(model, output);
            foreach (string file in Directory.EnumerateFiles(layout.Tokenizer))
            {
                File.Copy(file, Path.Combine(output, Path.GetFileName(file)), overwrite: true);
            }

            progress.Finish(string.Create(CultureInfo.InvariantCulture,
                $"{result.GlobalStep} steps, loss {result.Metrics.GetValueOrDefault(MetricNames.Loss):0.000}, token accuracy {result.Metrics.GetValueOrDefault(MetricNames.MeanTokenAccuracy):0.000}"));
        }

        return output;
    }
}
