namespace Zephyr.Alignment.Data;

/// <summary>Which tokens a truncation keeps, as TRL's <c>truncation_mode</c>.</summary>
public enum TruncationMode
{
    /// <summary>Keep the last tokens (<c>keep_end</c>, TRL's default for DPO prompts): the end of a prompt, next to the answer, survives.</summary>
    KeepEnd,

    /// <summary>Keep the first tokens (<c>keep_start</c>).</summary>
    KeepStart,
}
