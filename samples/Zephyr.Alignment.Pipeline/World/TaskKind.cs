namespace Zephyr.Alignment.Pipeline.World;

/// <summary>The families of checkable instructions in the task world.</summary>
internal enum TaskKind
{
    /// <summary>A word problem (gets more / gives away), answered in the format the prompt asks for.</summary>
    Arithmetic,

    /// <summary>Which of two numbers is larger, the number only.</summary>
    Compare,

    /// <summary>Sort words alphabetically, comma-separated.</summary>
    SortWords,

    /// <summary>Reverse a list of words, comma-separated.</summary>
    ReverseWords,

    /// <summary>Sort numbers from smallest to largest, comma-separated.</summary>
    SortNumbers,

    /// <summary>Repeat a word N times, space-separated.</summary>
    Repeat,

    /// <summary>Describe a topic in exactly N words from its lexicon ("answer in N words").</summary>
    Describe,

    /// <summary>An unanswerable request: the right answer is a refusal.</summary>
    Refusal,
}
