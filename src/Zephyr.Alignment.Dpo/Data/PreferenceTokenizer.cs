using System.Runtime.CompilerServices;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Data;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Dpo.Data;

/// <summary>
/// Tokenizes preference pairs as TRL's <c>DPOTrainer</c> does: the prompt rendered with the chat template and its
/// generation prompt, each completion tokenized on its own followed by eos, then truncated to the length limits.
/// </summary>
/// <remarks>
/// <para><b>Prompt.</b> A conversational prompt is rendered with <see cref="IChatTemplate"/> and the generation prompt
/// (Zephyr: <c>...&lt;|user|&gt;\n{question}&lt;/s&gt;\n&lt;|assistant|&gt;\n</c>) and encoded by
/// <see cref="ChatTokenizerExtensions.EncodeChat"/>, whose rule adds the tokenizer's special tokens (bos) unless the
/// template already wrote bos. A plain prompt (<see cref="PreferenceExample.PromptText"/>) is encoded as is under the
/// same rule. Note that TRL (0.12 and later) encodes the rendered prompt without special tokens, so with templates
/// that do not write bos (Zephyr) its prompts start without bos; here they start with bos, as the SFT stage saw them.</para>
/// <para><b>Completions.</b> The final assistant content, encoded without special tokens, then the eos id. TRL
/// instead cuts the completion out of the rendered conversation, which for Zephyr adds the template's
/// <c>&lt;/s&gt;\n</c> before its own eos; the content + eos form is what the model should learn to stop on.</para>
/// <para><b>Truncation</b>, as the TRL releases of the Zephyr recipe did (<c>build_tokenized_answer</c>): when
/// prompt + the longer completion exceeds <see cref="PreferenceTokenizerOptions.MaxLength"/>, the prompt is cut to
/// <see cref="PreferenceTokenizerOptions.MaxPromptLength"/> tokens by
/// <see cref="PreferenceTokenizerOptions.TruncationMode"/>; if still too long, each completion keeps its first
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
        int[] prompt = EncodePrompt(example);
        int[] chosen = EncodeCompletion(example.Chosen);
        int[] rejected = EncodeCompletion(example.Rejected);
        return Fit(prompt, chosen, rejected, example.Source);
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
            prompt = Options.TruncationMode == TruncationMode.KeepEnd ? prompt[^maxPrompt..] : prompt[..maxPrompt];
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

    private int[] EncodePrompt(PreferenceExample example)
    {
        if (example.PromptText is { } text)
        {
            return [.. _tokenizer.EncodePrompt(text).Ids];
        }

        return [.. _tokenizer.EncodeChat(_template, example.Prompt, addGenerationPrompt: true).InputIds];
    }

    private int[] EncodeCompletion(string completion)
    {
        IReadOnlyList<int> ids = _tokenizer.Encode(completion, addSpecialTokens: false).Ids;
        var result = new int[ids.Count + 1];
        for (int i = 0; i < ids.Count; i++)
        {
            result[i] = ids[i];
        }

        result[^1] = _eosId;
        return result;
    }
}
