using System.Text;

namespace Zephyr.Alignment.Chat;

/// <summary>
/// Accumulates rendered chat text and records assistant spans as the text is written, so a template never has
/// to find the completion afterwards by searching the string (content may itself contain template markers).
/// </summary>
internal sealed class ChatTextBuilder
{
    private readonly StringBuilder _text = new();
    private readonly List<ChatSpan> _spans = [];
    private int _spanStart = -1;
    private int _spanMessage = -1;

    /// <summary>Appends text outside any assistant span (or inside the open one).</summary>
    public ChatTextBuilder Append(string text)
    {
        _text.Append(text);
        return this;
    }

    /// <summary>Opens an assistant span at the current position.</summary>
    public ChatTextBuilder BeginAssistant(int messageIndex)
    {
        if (_spanStart >= 0)
        {
            throw new InvalidOperationException("An assistant span is already open.");
        }

        _spanStart = _text.Length;
        _spanMessage = messageIndex;
        return this;
    }

    /// <summary>Closes the open assistant span at the current position.</summary>
    public ChatTextBuilder EndAssistant()
    {
        if (_spanStart < 0)
        {
            throw new InvalidOperationException("No assistant span is open.");
        }

        _spans.Add(new ChatSpan(_spanStart, _text.Length - _spanStart, _spanMessage));
        _spanStart = -1;
        _spanMessage = -1;
        return this;
    }

    /// <summary>Appends <paramref name="content"/> followed by <paramref name="endOfTurn"/> as one assistant span.</summary>
    public ChatTextBuilder AppendAssistant(int messageIndex, string content, string endOfTurn) =>
        BeginAssistant(messageIndex).Append(content).Append(endOfTurn).EndAssistant();

    /// <summary>The text and spans written so far.</summary>
    public RenderedChat Build()
    {
        if (_spanStart >= 0)
        {
            throw new InvalidOperationException("An assistant span was left open.");
        }

        return new RenderedChat(_text.ToString(), _spans.ToArray());
    }
}
