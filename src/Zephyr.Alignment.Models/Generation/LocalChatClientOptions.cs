namespace Zephyr.Alignment.Models.Generation;

/// <summary>Options of <see cref="LocalChatClient"/>.</summary>
public sealed class LocalChatClientOptions
{
    /// <summary>The model id the client reports (responses, <c>ChatClientMetadata</c>, <c>/v1/models</c>). Default "local".</summary>
    public string ModelId { get; set; } = "local";

    /// <summary>
    /// The generation settings used where a request's <c>ChatOptions</c> is silent (temperature, top-p, top-k, max
    /// tokens, seed, stop strings). Default: <see cref="GenerationOptions"/>'s defaults (greedy, 128 new tokens).
    /// </summary>
    public GenerationOptions Defaults { get; set; } = new();

    /// <summary>The most prompt tokens a request may have; a longer prompt is refused. Default null: the model's <c>max_position_embeddings</c> less the new tokens.</summary>
    public int? MaxPromptTokens { get; set; }
}
