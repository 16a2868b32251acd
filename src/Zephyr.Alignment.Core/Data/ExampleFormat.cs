namespace Zephyr.Alignment.Data;

/// <summary>How the examples of a dataset are written, in TRL's terms.</summary>
public enum ExampleFormat
{
    /// <summary>
    /// Decided from the data: from the column types of a Parquet file, or from the first JSON Lines record whose
    /// completion field is a string (plain) or an array (conversational).
    /// </summary>
    Auto,

    /// <summary>Lists of <c>{content, role}</c> messages, as in <c>ultrafeedback_binarized</c> and <c>ultrachat_200k</c>.</summary>
    Conversational,

    /// <summary>Plain strings, TRL's "standard" format (<c>{prompt, chosen, rejected}</c> or <c>{prompt, completion}</c>); no chat template.</summary>
    Plain,
}
