using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using OpenAI;

namespace Zephyr.Alignment.Aif.Clients;

/// <summary>Creates <see cref="IChatClient"/>s for OpenAI-compatible servers (OpenAI, vLLM, TGI, Ollama, <c>zephyr serve</c>).</summary>
public static partial class OpenAICompatibleChatClients
{
    /// <summary>The environment variable read for the API key when none is named: <c>OPENAI_API_KEY</c>.</summary>
    public const string DefaultApiKeyVariable = "OPENAI_API_KEY";

    /// <summary>
    /// A client for <paramref name="model"/> at <paramref name="endpoint"/>, through the official OpenAI .NET package
    /// (<c>Microsoft.Extensions.AI.OpenAI</c>), wrapped in a <see cref="ResilientChatClient"/>. The SDK's own retries
    /// are turned off so that one pipeline decides.
    /// </summary>
    /// <param name="endpoint">The API base URL, e.g. <c>http://127.0.0.1:8000/v1</c>.</param>
    /// <param name="model">The model name.</param>
    /// <param name="apiKeyVariable">The environment variable holding the key; null for <see cref="DefaultApiKeyVariable"/>.</param>
    /// <param name="maxRetries">Retries after transient failures.</param>
    /// <param name="timeout">The limit of each attempt.</param>
    /// <param name="baseDelay">The first backoff delay.</param>
    /// <param name="logger">Receives retry and missing-key warnings; may be null.</param>
    /// <exception cref="ArgumentException">A variable was named explicitly and is not set, or the endpoint is not an absolute URL.</exception>
    public static IChatClient Create(string endpoint, string model, string? apiKeyVariable, int maxRetries, TimeSpan timeout, TimeSpan baseDelay, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        ArgumentException.ThrowIfNullOrWhiteSpace(model);
        logger ??= NullLogger.Instance;
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out Uri? uri))
        {
            throw new ArgumentException($"Endpoint '{endpoint}' is not an absolute URL.", nameof(endpoint));
        }

        string key = ReadApiKey(apiKeyVariable, endpoint, logger);
        var client = new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions
        {
            Endpoint = uri,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
        });
        return new ResilientChatClient(client.GetChatClient(model).AsIChatClient(), maxRetries, timeout, baseDelay, logger);
    }

    /// <summary>
    /// The API key from the environment: <paramref name="variable"/>, or <see cref="DefaultApiKeyVariable"/> when null.
    /// A named variable that is not set is an error; when the default is not set a warning is logged and a placeholder
    /// is sent (local servers need no key). The key's value is never logged.
    /// </summary>
    private static string ReadApiKey(string? variable, string endpoint, ILogger logger)
    {
        string name = string.IsNullOrWhiteSpace(variable) ? DefaultApiKeyVariable : variable;
        string? key = Environment.GetEnvironmentVariable(name);
        if (!string.IsNullOrEmpty(key))
        {
            return key;
        }

        if (!string.IsNullOrWhiteSpace(variable))
        {
            throw new ArgumentException($"The API key variable '{name}' named in the configuration is not set in the environment.", nameof(variable));
        }

        LogNoKey(logger, name, endpoint);
        return "no-key";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Variable} is not set; requests to {Endpoint} are sent without an API key")]
    private static partial void LogNoKey(ILogger logger, string variable, string endpoint);
}
