using System.Runtime.CompilerServices;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Dpo.Data;

/// <summary>
/// Tokenizes preference pairs as TRL 1.x's <c>DPOTrainer</c> does: the whole conversation (prompt + chosen, prompt +
/// rejected) rendered with the chat template and tokenized once, then split where the prompt ends; then truncated to
/// the length limits.
/// </summary>
/// <remarks>
/// <para><b>In context.</b> A conversational pair goes through <see cref="PromptCompletionEncoding.EncodeChatInContext"/>:
/// the prompt's ids are the tokens of the rendered conversation before the generation prompt's end (Zephyr:
/// <c>...&lt;|user|&gt;\n{question}&lt;/s&gt;\n&lt;|assistant|&gt;\n</c>), the completion's ids the rest, which
/// includes the template's end of turn (Zephyr: <c>{answer}&lt;/s&gt;\n</c>). So prompt + chosen equals
/// <see cref="ChatTokenizerExtensions.EncodeChat"/> of the full conversation, and the model is trained on the ids it
/// reads and writes in a chat (tokenized alone, SentencePiece would start "The answer" with <c>▁The</c>, a token the
/// model never emits after <c>&lt;|assistant|&gt;\n</c>). bos follows <c>EncodeChat</c>'s rule: added by the
/// tokenizer's configuration unless the template wrote it, never twice. A plain pair
/// (<see cref="PreferenceExample.PromptText"/>) is encoded as prompt text + completion text, once, with the same split.</para>
/// <para><b>The eos rule.</b> A completion must teach the model to stop: when its ids hold no eos (a template whose
/// turns end with another token, or a plain pair), the eos id is appended, as TRL appends the eos text to plain
/// completions. Otherwise the ids are exactly those of the whole conversation.</para>
/// <para>A pair whose prompt tokenizes differently before chosen than before rejected (a tokenizer merging across the
/// boundary) is dropped and counted: it has no one prompt.</para>
/// <para><b>Truncation</b>, as the TRL releases of the Zephyr recipe did (<c>build_tokenized_answer</c>): when
/// prompt + the longer completion exceeds <see cref="PreferenceTokenizerOptions.MaxLength"/>, the prompt is cut to
/// <see cref="PreferenceTokenizerOptions.MaxPromptLength"/> tokens by
/// <see cref="PreferenceTokenizerOptions.TruncationMode"/> (<see cref="TruncationMode.KeepEnd"/> keeps a leading bos
/// and the prompt's last tokens after it); if still too long, each completion keeps its first
/// <c>MaxLength - prompt</c> tokens (TRL cut them to <c>MaxLength - MaxPromptLength</c>, which can discard more).
/// A truncated completion loses its eos.</para>
/// <para><b>Dropped and counted</b> in <see cref="Report"/>, never silently: a prompt that leaves no room for a
/// completion (only possible when <see cref="PreferenceTokenizerOptions.MaxPromptLength"/> is null or equals
/// <see cref="PreferenceTokenizerOptions.MaxLength"/>), an empty prompt, and a pair whose chosen and rejected ids are
/// identical after truncation (no preference signal left).</para>
/// </remarks>
public sealed class PreferenceTokenizer
{
    private readonly ITokenizer _tokenizer;
    private readonly IChatTemplate _template;
    private readonly int _eosId;
    private readonly int? _bosId;

    /// <summary>Creates the tokenizer.</summary>
    /// <param name="tokenizer">The policy's tokenizer; it must have an eos token.</param>
    /// <param name="template">The chat template for conversational prompts (e.g. <c>ChatTemplates.Default.Get("zephyr")</c>).</param>
    /// <param name="options">Length limits; <see langword="null"/> for the recipe defaults (1024/512, keep end).</param>
    /// <exception cref="ArgumentException">The tokenizer has no eos token.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public PreferenceTokenizer(ITokenizer tokenizer, IChatTemplate template, PreferenceTokenizerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        _tokenizer = tokenizer;
        _template = template;
        _eosId = tokenizer.EosToken?.Id
            ?? throw new ArgumentException("The tokenizer has no eos token; DPO completions end with eos.", nameof(tokenizer));
        _bosId = tokenizer.BosToken?.Id;
        Options = options ?? new PreferenceTokenizerOptions();
        Options.Validate();
    }

    /// <summary>The length limits.</summary>
    public PreferenceTokenizerOptions Options { get; }

    /// <summary>Pairs kept, truncated and dropped since this tokenizer was created.</summary>
    public TokenizationReport Report { get; } = new("preference pairs");

    /// <summary>Tokenizes one pair.</summary>
    /// <param name="example">The pair.</param>
    /// <returns>The ids, or <see langword="null"/> when the pair cannot fit; it is then counted in <see cref="Report"/>.</returns>
    /// <exception cref="FormatException">The chat template cannot express the prompt.</exception>
    public TokenizedPreference? Tokenize(PreferenceExample example)
    {
        ArgumentNullException.ThrowIfNull(example);
        PromptCompletionIds chosen = EncodeInContext(example, example.Chosen);
        PromptCompletionIds rejected = EncodeInContext(example, example.Rejected);
        if (!chosen.Prompt.AsSpan().SequenceEqual(rejected.Prompt))
        {
            Report.Dropped.Add($"{(example.Source is null ? string.Empty : example.Source + ": ")}the prompt tokenizes differently before chosen than before rejected");
            return null;
        }

        return Fit(chosen.Prompt, WithEos(chosen.Completion), WithEos(rejected.Completion), example.Source);
    }

    /// <summary>Tokenizes a dataset as it streams, leaving out (and counting) the pairs that cannot fit.</summary>
    /// <param name="dataset">The pairs.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    public async IAsyncEnumerable<TokenizedPreference> TokenizeAsync(IPreferenceDataset dataset, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        await foreach (PreferenceExample example in dataset.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Tokenize(example) is { } tokenized)
            {
                yield return tokenized;
            }
        }
    }

    /// <summary>Applies the length limits to already tokenized ids (see the class remarks).</summary>
    /// <param name="prompt">Prompt ids.</param>
    /// <param name="chosen">Chosen ids, eos included.</param>
    /// <param name="rejected">Rejected ids, eos included.</param>
    /// <param name="source">Where the pair came from, for the drop reason.</param>
    /// <returns>The fitted pair, or <see langword="null"/> when it is dropped (and counted).</returns>
    public TokenizedPreference? Fit(int[] prompt, int[] chosen, int[] rejected, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(chosen);
        ArgumentNullException.ThrowIfNull(rejected);
        string where = source is null ? string.Empty : source + ": ";
        if (prompt.Length == 0)
        {
            Report.Dropped.Add($"{where}the prompt has no tokens");
            return null;
        }

        int maxLength = Options.MaxLength;
        bool truncated = false;
        int longer = Math.Max(chosen.Length, rejected.Length);
        if (prompt.Length + longer > maxLength && Options.MaxPromptLength is { } maxPrompt && prompt.Length > maxPrompt)
        {
            prompt = Options.TruncationMode != TruncationMode.KeepEnd ? prompt[..maxPrompt]
                : _bosId is int bos && prompt[0] == bos && maxPrompt > 1 ? [bos, .. prompt[^(maxPrompt - 1)..]]
                : prompt[^maxPrompt..];
            truncated = true;
        }

        int room = maxLength - prompt.Length;
        if (room <= 0)
        {
            Report.Dropped.Add($"{where}the prompt has {prompt.Length} tokens, leaving no room for a completion within MaxLength {maxLength}");
            return null;
        }

        if (longer > room)
        {
            chosen = chosen.Length > room ? chosen[..room] : chosen;
            rejected = rejected.Length > room ? rejected[..room] : rejected;
            truncated = true;
        }

        if (chosen.AsSpan().SequenceEqual(rejected))
        {
            Report.Dropped.Add($"{where}chosen and rejected are identical after truncation to {room} completion tokens");
            return null;
        }

        Report.AddKept(truncated);
        return new TokenizedPreference(prompt, chosen, rejected, source);
    }

    private PromptCompletionIds EncodeInContext(PreferenceExample example, string completion)
        => example.PromptText is { } text
            ? _tokenizer.EncodeInContext(text, completion)
            : _tokenizer.EncodeChatInContext(_template, example.Prompt, completion);

    private int[] WithEos(int[] completion) => completion.Contains(_eosId) ? completion : [.. completion, _eosId];
}
