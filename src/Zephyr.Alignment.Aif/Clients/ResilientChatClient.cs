using System.ClientModel;
using System.Net;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Zephyr.Alignment.Aif.Clients;

/// <summary>
/// Wraps a remote <see cref="IChatClient"/> in one Polly pipeline: a per-attempt timeout inside a retry with jittered
/// exponential backoff on transient failures (HTTP 408, 429 and 5xx, connection errors, timeouts). Streaming
/// responses pass through unretried (a half-read stream cannot be replayed).
/// </summary>
public sealed partial class ResilientChatClient : DelegatingChatClient
{
    private readonly ResiliencePipeline _pipeline;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The client to protect.</param>
    /// <param name="maxRetries">Retries after the first attempt (0 = none).</param>
    /// <param name="timeout">The limit of each attempt.</param>
    /// <param name="baseDelay">The first backoff delay; it doubles each retry, with jitter.</param>
    /// <param name="logger">Receives a warning per retry; may be null.</param>
    public ResilientChatClient(IChatClient inner, int maxRetries, TimeSpan timeout, TimeSpan baseDelay, ILogger? logger = null)
        : base(inner)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        logger ??= NullLogger.Instance;
        var builder = new ResiliencePipelineBuilder();
        if (maxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = maxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = baseDelay,
                ShouldHandle = new PredicateBuilder().Handle<Exception>(IsTransient),
                OnRetry = args =>
                {
                    Exception? e = args.Outcome.Exception;
                    LogRetry(logger, args.AttemptNumber + 1, maxRetries, args.RetryDelay.TotalSeconds, e?.GetType().Name ?? "?", e?.Message ?? string.Empty);
                    return default;
                },
            });
        }

        _pipeline = builder.AddTimeout(timeout).Build();
    }

    /// <summary>Whether <paramref name="exception"/> is worth retrying.</summary>
    /// <param name="exception">The failure.</param>
    public static bool IsTransient(Exception exception) => exception switch
    {
        TimeoutRejectedException => true,
        HttpRequestException { StatusCode: null } => true,
        HttpRequestException { StatusCode: { } status } => IsTransient((int)status),
        ClientResultException { Status: 0 } => true,
        ClientResultException { Status: var status } => IsTransient(status),
        IOException => true,
        _ => false,
    };

    /// <inheritdoc />
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ChatMessage[] list = messages.ToArray();
        return _pipeline.ExecuteAsync(ct => new ValueTask<ChatResponse>(base.GetResponseAsync(list, options, ct)), cancellationToken).AsTask();
    }

    private static bool IsTransient(int status) => status is (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests or >= 500;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Request failed ({ExceptionType}: {Error}); retry {Retry} of {MaxRetries} in {DelaySeconds:0.0} s")]
    private static partial void LogRetry(ILogger logger, int retry, int maxRetries, double delaySeconds, string exceptionType, string error);
}
