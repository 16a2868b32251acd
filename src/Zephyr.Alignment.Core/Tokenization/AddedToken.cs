namespace Zephyr.Alignment.Tokenization;

/// <summary>
/// A token matched whole in the text before the model runs, as Hugging Face's added tokens are
/// (<c>added_tokens_decoder</c> of <c>tokenizer_config.json</c>, <c>added_tokens</c> of <c>tokenizer.json</c>).
/// </summary>
/// <param name="Content">The token's text, matched case-sensitively.</param>
/// <param name="Id">The token's id.</param>
/// <param name="Special">A special token: left out by <c>Decode(ids, skipSpecialTokens: true)</c>.</param>
/// <param name="LeftStrip">Whitespace right before the token belongs to it (<c>lstrip</c>).</param>
/// <param name="RightStrip">Whitespace right after the token belongs to it (<c>rstrip</c>).</param>
public sealed record AddedToken(string Content, int Id, bool Special = true, bool LeftStrip = false, bool RightStrip = false);
