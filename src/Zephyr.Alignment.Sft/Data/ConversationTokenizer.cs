using System.Runtime.CompilerServices;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Sft.Data;

/// <summary>
/// Tokenizes SFT examples: conversations through <see cref="ChatTokenizerExtensions.EncodeChat"/> (ids and the
/// assistant mask together, never by diffing prompt strings), plain pairs as prompt + completion encoded once and split
/// where the prompt ends (<see cref="PromptCompletionEncoding.EncodeInContext"/>, as TRL 1.x), + eos unless the
/// completion ends with it, with the mask on the completion; then applies
/// <see cref="ConversationTokenizerOptions.MaxLength"/>.
/// </summary>
/// <remarks>
/// Examples are dropped and counted in <see cref="Report"/>, never silently, when they are longer than the limit and
/// <see cref="OverlongExampleHandling.Drop"/> is set, or when no masked token is left (truncation cut every assistant
/// token, so the example would add nothing to the loss). Masking variants and packing belong to the trainer.
/// </remarks>
public sealed class ConversationTokenizer
{
    private readonly ITokenizer _tokenizer;
    private readonly IChatTemplate _template;
    private readonly int _eosId;

    /// <summary>Creates the tokenizer.</summary>
    /// <param name="tokenizer">The model's tokenizer; it must have an eos token.</param>
    /// <param name="template">The chat template for conversations (e.g. <c>ChatTemplates.Default.Get("zephyr")</c>).</param>
    /// <param name="options">The length limit; <see langword="null"/> for the recipe default (2048, truncate).</param>
    /// <exception cref="ArgumentException">The tokenizer has no eos token.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public ConversationTokenizer(ITokenizer tokenizer, IChatTemplate template, ConversationTokenizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        _tokenizer = tokenizer;
        _template = template;
        _eosId = tokenizer.EosToken?.Id
            ?? throw new ArgumentException("The tokenizer has no eos token; completions end with eos.", nameof(tokenizer));
        Options = options ?? new ConversationTokenizerOptions();
        Options.Validate();
    }

    /// <summary>The length limit.</summary>
    public ConversationTokenizerOptions Options { get; }

    /// <summary>Examples kept, truncated and dropped since this tokenizer was created.</summary>
    public TokenizationReport Report { get; } = new("SFT examples");

    /// <summary>Tokenizes one example.</summary>
    /// <param name="example">The example.</param>
    /// <returns>The ids and mask, or <see langword="null"/> when the example is dropped (and counted).</returns>
    /// <exception cref="FormatException">The chat template cannot express the conversation.</exception>
    public TokenizedConversation? Tokenize(ConversationExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        int[] ids;
        bool[] mask;
        if (example.Messages is { } messages)
        {
            TokenizedChat chat = _tokenizer.EncodeChat(_template, messages);
            ids = [.. chat.InputIds];
            mask = [.. chat.AssistantMask];
        }
        else
        {
            string prompt = example.PromptText ?? throw new ArgumentException("A plain example needs PromptText.", nameof(example));
            string completion = example.CompletionText ?? throw new ArgumentException("A plain example needs CompletionText.", nameof(example));
            // In context, as TRL 1.x: prompt + completion encoded once and split where the prompt ends, then eos
            // unless the completion already ends with it.
            PromptCompletionIds pair = _tokenizer.EncodeInContext(prompt, completion);
            ids = pair.Completion is [.., int last] && last == _eosId ? [.. pair.Prompt, .. pair.Completion] : [.. pair.Prompt, .. pair.Completion, _eosId];
            mask = new bool[ids.Length];
            mask.AsSpan(pair.Prompt.Length).Fill(true);
        }

        string where = example.Source is null ? string.Empty : example.Source + ": ";
        bool truncated = false;
        if (ids.Length > Options.MaxLength)
        {
            if (Options.Overlong == OverlongExampleHandling.Drop)
            {
                Report.Dropped.Add($"{where}{ids.Length} tokens exceed MaxLength {Options.MaxLength}");
                return null;
            }

            ids = ids[..Options.MaxLength];
            mask = mask[..Options.MaxLength];
            truncated = true;
        }

        if (!mask.Contains(true))
        {
            Report.Dropped.Add(truncated
                ? $"{where}no completion token is left within MaxLength {Options.MaxLength}"
                : $"{where}no completion token (the template marked no assistant text)");
            return null;
        }

        Report.AddKept(truncated);
        return new TokenizedConversation(ids, mask, example.Source);
    }

    /// <summary>Tokenizes a dataset as it streams, leaving out (and counting) the examples that cannot be used.</summary>
    /// <param name="dataset">The examples.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    public async IAsyncEnumerable<TokenizedConversation> TokenizeAsync(ConversationDataset dataset, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        await foreach (ConversationExample example in dataset.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Tokenize(example) is { } tokenized)
            {
                yield return tokenized;
            }
        }
    }
}
