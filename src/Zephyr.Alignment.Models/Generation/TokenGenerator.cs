using System.Runtime.CompilerServices;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Models.Generation;

/// <summary>
/// Extends prompts token by token with a <see cref="CausalLanguageModel"/>: greedy decoding or sampling (temperature,
/// top-k, top-p, repetition penalty), a KV cache, batches with left padding, stop at end-of-sequence, a length limit or
/// stop strings, and streaming. It works on token ids; the tokenizer is only needed for stop strings and the pad id.
/// </summary>
/// <remarks>
/// <para>
/// For the duration of a call the model is in eval mode (restored afterwards) and nothing records gradients. Every step
/// runs in its own dispose scope and the cache is released at the end, so repeated calls keep memory flat.
/// </para>
/// <para>
/// A generator may be reused, but not from two threads at once: the calls switch the shared model's training mode.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// using var model = PretrainedModel.Load("models/zephyr-7b-beta");
/// var generator = new TokenGenerator(model, HuggingFaceTokenizer.FromFolder("models/zephyr-7b-beta"));
/// GenerationResult result = generator.Generate(promptIds, new GenerationOptions { MaxNewTokens = 64, Temperature = 0.7, TopP = 0.9, Seed = 42 });
/// </code>
/// </example>
public sealed class TokenGenerator
{
    /// <summary>Creates a generator for <paramref name="model"/>.</summary>
    /// <param name="model">The model; it stays owned by the caller.</param>
    /// <param name="tokenizer">Decodes for <see cref="GenerationOptions.StopStrings"/> and supplies the pad id of batches; optional otherwise.</param>
    public TokenGenerator(CausalLanguageModel model, ITokenizer? tokenizer = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Model = model;
        Tokenizer = tokenizer;
    }

    /// <summary>The model that generates.</summary>
    public CausalLanguageModel Model { get; }

    /// <summary>The tokenizer used for stop strings and the pad id, if any.</summary>
    public ITokenizer? Tokenizer { get; }

    /// <summary>
    /// The id fed for left padding and for rows that have stopped: the tokenizer's pad token, else the config's
    /// <c>pad_token_id</c>, else its first eos id, else 0; and 0 when that id is outside the model's vocabulary (a pad
    /// token added to the tokenizer without resizing the embeddings). It never affects the tokens generated: padding is
    /// masked out, so any id the embedding can look up will do.
    /// </summary>
    public int PadTokenId
    {
        get
        {
            int id = Tokenizer?.PadToken?.Id ?? Model.Config.PadTokenId ?? Model.Config.EosTokenIds?.FirstOrDefault() ?? 0;
            return id >= 0 && id < Model.VocabularySize ? id : 0;
        }
    }

    /// <summary>Generates a continuation of one prompt.</summary>
    /// <param name="promptIds">The prompt's token ids (at least one, each below the vocabulary size), bos included when the model expects it.</param>
    /// <param name="options">How to generate; validated first.</param>
    /// <param name="cancellationToken">Stops generation between steps; the result then has <see cref="GenerationStopReason.Cancelled"/>.</param>
    /// <returns>The new tokens and why generation stopped.</returns>
    /// <exception cref="ArgumentException">A bad prompt or option, or stop strings without a tokenizer.</exception>
    public GenerationResult Generate(IReadOnlyList<int> promptIds, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        return GenerateBatch([promptIds], options, cancellationToken)[0];
    }

    /// <summary>
    /// Generates continuations of several prompts in one batch: prompts are left-padded to the longest, each row's position
    /// ids start at 0 at its first real token, and each row stops on its own. Greedy results equal generating each prompt
    /// alone; sampled ones are reproducible for the same batch and seed, but draw differently from single prompts.
    /// </summary>
    /// <param name="prompts">The prompts' token ids, one list per prompt (at least one prompt, none empty).</param>
    /// <param name="options">How to generate; validated first.</param>
    /// <param name="cancellationToken">Stops generation between steps; unfinished rows then have <see cref="GenerationStopReason.Cancelled"/>.</param>
    /// <returns>One result per prompt, in order.</returns>
    /// <exception cref="ArgumentException">A bad prompt or option, or stop strings without a tokenizer.</exception>
    public IReadOnlyList<GenerationResult> GenerateBatch(
        IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        CheckArguments(prompts, options);
        bool wasTraining = Model.training;
        Model.eval();
        try
        {
            using GenerationSession session = CreateSession(prompts, options);
            while (!session.IsDone)
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    session.Cancel();
                    break;
                }

                session.Step();
            }

            return session.Results();
        }
        finally
        {
            Model.train(wasTraining);
        }
    }

    /// <summary>
    /// Generates a continuation of one prompt, yielding each new token id as soon as it is chosen; the ids are those
    /// <see cref="Generate"/> returns for the same inputs and seed. Each step runs on the thread pool, so awaiting the stream
    /// does not block the caller's thread.
    /// </summary>
    /// <param name="promptIds">The prompt's token ids (at least one, each below the vocabulary size).</param>
    /// <param name="options">How to generate; validated before this method returns.</param>
    /// <param name="cancellationToken">Ends the stream with an <see cref="OperationCanceledException"/> between steps.</param>
    /// <returns>The new token ids in order; the eos id is the last one when generation stopped on it.</returns>
    /// <exception cref="ArgumentException">A bad prompt or option, or stop strings without a tokenizer.</exception>
    public IAsyncEnumerable<int> StreamAsync(IReadOnlyList<int> promptIds, GenerationOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(promptIds);
        CheckArguments([promptIds], options);
        return StreamCoreAsync(promptIds, options, cancellationToken);
    }

    private async IAsyncEnumerable<int> StreamCoreAsync(
        IReadOnlyList<int> promptIds, GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        bool wasTraining = Model.training;
        Model.eval();
        try
        {
            using GenerationSession session = CreateSession([promptIds], options);
            while (!session.IsDone)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int[] tokens = await Task.Run(session.Step, CancellationToken.None).ConfigureAwait(false);
                yield return tokens[0];
            }
        }
        finally
        {
            Model.train(wasTraining);
        }
    }

    private GenerationSession CreateSession(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options)
    {
        IReadOnlyList<int> eosIds = options.EosTokenIds ?? Model.Config.EosTokenIds ?? [];
        return new GenerationSession(Model, Tokenizer, prompts, options, eosIds, PadTokenId);
    }

    private void CheckArguments(IReadOnlyList<IReadOnlyList<int>> prompts, GenerationOptions options)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.StopStrings.Count > 0 && Tokenizer is null)
        {
            throw new ArgumentException(
                $"{nameof(GenerationOptions.StopStrings)} [{string.Join(", ", options.StopStrings.Select(s => $"\"{s}\""))}] need a tokenizer to decode with; pass one to the {nameof(TokenGenerator)} constructor.",
                nameof(options));
        }

        if (prompts.Count == 0)
        {
            throw new ArgumentException("At least one prompt is needed.", nameof(prompts));
        }

        int vocabulary = Model.VocabularySize;
        for (int i = 0; i < prompts.Count; i++)
        {
            IReadOnlyList<int>? prompt = prompts[i];
            if (prompt is null || prompt.Count == 0)
            {
                throw new ArgumentException($"Prompt {i} is {(prompt is null ? "null" : "empty")}; a prompt needs at least one token id.", nameof(prompts));
            }

            foreach (int id in prompt)
            {
                if (id < 0 || id >= vocabulary)
                {
                    throw new ArgumentException($"Prompt {i} has token id {id}, outside the vocabulary [0, {vocabulary}).", nameof(prompts));
                }
            }
        }
    }
}
