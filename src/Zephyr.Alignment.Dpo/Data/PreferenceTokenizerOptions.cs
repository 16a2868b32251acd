using Zephyr.Alignment.Data;

namespace Zephyr.Alignment.Dpo.Data;

/// <summary>Length limits of <see cref="PreferenceTokenizer"/>, named as TRL's <c>DPOConfig</c>.</summary>
public sealed class PreferenceTokenizerOptions
{
    /// <summary>
    /// Maximum tokens of prompt + completion (<c>max_length</c>), applied to each of prompt+chosen and
    /// prompt+rejected. Default: 1024, the Zephyr-7B-β DPO recipe.
    /// </summary>
    public int MaxLength { get; init; } = 1024;

    /// <summary>
    /// Maximum prompt tokens kept when a pair is too long (<c>max_prompt_length</c>), at most <see cref="MaxLength"/>.
    /// Default: 512, the recipe. <see langword="null"/>: prompts are never truncated, and a pair whose prompt leaves no
    /// room for a completion is dropped.
    /// </summary>
    public int? MaxPromptLength { get; init; } = 512;

    /// <summary>
    /// Which prompt tokens survive truncation (<c>truncation_mode</c>). Default: <see cref="TruncationMode.KeepEnd"/>
    /// (the last tokens, next to the answer, as TRL's default <c>keep_end</c>). Completions always keep their start.
    /// </summary>
    public TruncationMode TruncationMode { get; init; } = TruncationMode.KeepEnd;

    /// <summary>Checks the values.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A limit is out of range; the message names it and its value.</exception>
    public void Validate()
    {
        if (MaxLength < 2)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "MaxLength must be at least 2 (one prompt and one completion token).");
        }

        if (MaxPromptLength is { } prompt && (prompt < 1 || prompt > MaxLength))
        {
            throw new ArgumentOutOfRangeException(nameof(MaxPromptLength), prompt, $"MaxPromptLength must be between 1 and MaxLength ({MaxLength}), or null.");
        }

        if (!Enum.IsDefined(TruncationMode))
        {
            throw new ArgumentOutOfRangeException(nameof(TruncationMode), TruncationMode, "Unknown truncation mode.");
        }
    }
}
