using Microsoft.Extensions.AI;

namespace Zephyr.Alignment.Cli.Serving;

/// <summary>A model the server answers for: its id, the chat client, and the request limits.</summary>
/// <param name="Id">The id clients send as <c>model</c>.</param>
/// <param name="Client">The model (it queues its own requests).</param>
/// <param name="MaxTokensLimit">The largest <c>max_tokens</c> a request may ask for.</param>
/// <param name="DefaultMaxTokens">The <c>max_tokens</c> of a request that sets none.</param>
internal sealed record ServedModel(string Id, IChatClient Client, int MaxTokensLimit, int DefaultMaxTokens);
