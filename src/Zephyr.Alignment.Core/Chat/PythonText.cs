namespace Zephyr.Alignment.Chat;

/// <summary>
/// Python string semantics that chat templates rely on: Jinja's <c>trim</c> filter and <c>str.strip()</c> both
/// call Python's <c>str.strip()</c>, whose notion of whitespace differs slightly from .NET's.
/// </summary>
internal static class PythonText
{
    /// <summary>Python's <c>str.isspace()</c> for one UTF-16 unit.</summary>
    /// <remarks>
    /// .NET's <see cref="char.IsWhiteSpace(char)"/> covers the Unicode White_Space set; Python additionally treats
    /// the information separators U+001C..U+001F as whitespace (their bidirectional class is B or S).
    /// </remarks>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || (c >= '\u001C' && c <= '\u001F');

    /// <summary>Python's <c>str.strip()</c> with no arguments.</summary>
    public static string Strip(string value)
    {
        int start = 0;
        int end = value.Length;
        while (start < end && IsSpace(value[start]))
        {
            start++;
        }

        while (end > start && IsSpace(value[end - 1]))
        {
            end--;
        }

        return start == 0 && end == value.Length ? value : value[start..end];
    }
}
