using System.Text;
using System.Text.RegularExpressions;

namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// A piece of text as normalizers and pre-tokenizers change it, remembering for each character the range of the
/// original input it came from, as Hugging Face <c>tokenizers</c>' <c>NormalizedString</c> does. Characters a
/// normalizer inserts (a <c>Prepend</c>) cover an empty range where they were inserted; a replacement covers the
/// whole match it replaced; a Unicode normalization that changes the text makes every character cover the whole piece.
/// </summary>
internal sealed class NormalizedText
{
    private readonly int _originStart;
    private string _text;
    private int[] _starts;
    private int[] _ends;

    /// <summary>Wraps <paramref name="length"/> characters of <paramref name="original"/> from <paramref name="start"/>.</summary>
    public NormalizedText(string original, int start, int length)
    {
        _text = original.Substring(start, length);
        _originStart = start;
        _starts = new int[length];
        _ends = new int[length];
        for (int i = 0; i < length; i++)
        {
            _starts[i] = start + i;
            _ends[i] = start + i + 1;
        }
    }

    private NormalizedText(string text, int[] starts, int[] ends, int originStart)
    {
        _text = text;
        _starts = starts;
        _ends = ends;
        _originStart = originStart;
    }

    /// <summary>The current text.</summary>
    public string Text => _text;

    /// <summary>Where this piece starts in the original input (<c>offsets_original().0</c>).</summary>
    public int OriginalStart => _starts.Length > 0 ? _starts[0] : _originStart;

    /// <summary>The original range covered by <paramref name="length"/> characters from <paramref name="start"/>.</summary>
    public Range OriginalRange(int start, int length)
    {
        int from = _starts[start];
        int to = _ends[start + length - 1];
        for (int i = start; i < start + length; i++)
        {
            from = Math.Min(from, _starts[i]);
            to = Math.Max(to, _ends[i]);
        }

        return new Range(from, Math.Max(from, to));
    }

    /// <summary>Inserts <paramref name="prefix"/> before the text; its characters cover an empty range.</summary>
    public void Prepend(string prefix)
    {
        int at = OriginalStart;
        _text = prefix + _text;
        _starts = [.. Enumerable.Repeat(at, prefix.Length), .. _starts];
        _ends = [.. Enumerable.Repeat(at, prefix.Length), .. _ends];
    }

    /// <summary>Replaces every match of <paramref name="pattern"/> with <paramref name="content"/> (no <c>$</c> substitutions).</summary>
    public void Replace(Regex pattern, string content)
    {
        MatchCollection matches = pattern.Matches(_text);
        if (matches.Count == 0)
        {
            return;
        }

        var text = new StringBuilder(_text.Length);
        var starts = new List<int>(_text.Length);
        var ends = new List<int>(_text.Length);
        int position = 0;
        foreach (Match match in matches)
        {
            if (match.Length == 0)
            {
                continue;
            }

            Copy(position, match.Index - position, text, starts, ends);
            Range covered = OriginalRange(match.Index, match.Length);
            text.Append(content);
            for (int i = 0; i < content.Length; i++)
            {
                starts.Add(covered.Start.Value);
                ends.Add(covered.End.Value);
            }

            position = match.Index + match.Length;
        }

        Copy(position, _text.Length - position, text, starts, ends);
        _text = text.ToString();
        _starts = [.. starts];
        _ends = [.. ends];
    }

    /// <summary>Applies a Unicode normalization form; when it changes the text, every character covers the whole piece.</summary>
    public void Normalize(NormalizationForm form)
    {
        if (_text.Length == 0 || _text.IsNormalized(form))
        {
            return;
        }

        Range whole = OriginalRange(0, _text.Length);
        _text = _text.Normalize(form);
        _starts = [.. Enumerable.Repeat(whole.Start.Value, _text.Length)];
        _ends = [.. Enumerable.Repeat(whole.End.Value, _text.Length)];
    }

    /// <summary>A copy of <paramref name="length"/> characters from <paramref name="start"/>, with their origins.</summary>
    public NormalizedText Slice(int start, int length) =>
        new(_text.Substring(start, length), _starts[start..(start + length)], _ends[start..(start + length)], start < _starts.Length ? _starts[start] : _originStart);

    private void Copy(int start, int length, StringBuilder text, List<int> starts, List<int> ends)
    {
        text.Append(_text, start, length);
        for (int i = start; i < start + length; i++)
        {
            starts.Add(_starts[i]);
            ends.Add(_ends[i]);
        }
    }
}
