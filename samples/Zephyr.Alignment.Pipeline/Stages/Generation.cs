using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Pipeline.Reporting;
using Zephyr.Alignment.Pipeline.World;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Pipeline.Stages;

/// <summary>A model folder answering the world's prompts in the Zephyr chat format, in batches.</summary>
internal sealed class Generation : IDisposable
{
    private readonly CausalLanguageModel model;
    private readonly ITokenizer tokenizer;
    private readonly TokenGenerator generator;
    private readonly IChatTemplate template = ChatTemplates.Default.Get(ZephyrChatTemplate.TemplateName);

    /// <summary>Loads the checkpoint folder (weights and tokenizer).</summary>
    public Generation(string modelFolder)
    {
        model = PretrainedModel.Load(modelFolder);
        tokenizer = HuggingFaceTokenizer.FromFolder(modelFolder);
        generator = new TokenGenerator(model, tokenizer);
    }

    /// <summary>One answer.</summary>
    /// <param name="Text">The answer without special tokens.</param>
    /// <param name="StoppedOnEos">The model ended its turn (eos), rather than running into the token limit.</param>
    public readonly record struct Completion(string Text, bool StoppedOnEos);

    /// <summary>
    /// Answers every task: greedy when <paramref name="temperature"/> is 0, otherwise sampled with a seed per batch so the
    /// same run gives the same answers.
    /// </summary>
    public List<Completion> Answer(
        IReadOnlyList<WorldTask> tasks, double temperature, int maxNewTokens, int batchSize, long seed, StageProgress progress, double progressOffset, CancellationToken cancellationToken)
    {
        var answers = new List<Completion>(tasks.Count);
        for (int start = 0; start < tasks.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var batch = tasks.Skip(start).Take(batchSize).ToList();
            IReadOnlyList<int>[] prompts = [.. batch.Select(t => tokenizer.EncodeChat(template, [ConversationMessage.User(t.Prompt)], addGenerationPrompt: true).InputIds)];
            var options = new GenerationOptions
            {
                MaxNewTokens = maxNewTokens,
                Temperature = temperature,
                Seed = temperature > 0 ? seed + start : null,
                EosTokenIds = [tokenizer.EosToken!.Id],
            };
            foreach (GenerationResult result in generator.GenerateBatch(prompts, options, cancellationToken))
            {
                answers.Add(new Completion(
                    tokenizer.Decode(result.TokenIds, skipSpecialTokens: true).Trim(),
                    result.StopReason == GenerationStopReason.EndOfSequence));
            }

            progress.Report(progressOffset + answers.Count);
        }

        return answers;
    }

    public void Dispose() => model.Dispose();
}
