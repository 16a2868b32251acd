using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace Zephyr.Alignment.Aif.Judging;

/// <summary>
/// A teacher that is any <see cref="IChatClient"/> (an OpenAI-compatible server, Ollama, vLLM, or one of our own
/// models): one request per aspect showing all candidates as "Text 1..N" (<see cref="UltraFeedbackRubric"/>), each
/// answer read by <see cref="RatingAnswerParser"/>.
/// </summary>
/// <remarks>
/// A refused answer is asked again, up to <see cref="ChatPreferenceJudgeOptions.MaxAttempts"/> requests per aspect
/// (a Polly retry on the parse outcome). If every answer is refused, or the request itself fails after the client's
/// own retries, every candidate gets a <see cref="JudgeFailure"/> for that aspect carrying the last raw answer; no
/// rating is guessed. Compose the client with <c>ChatClientBuilder</c> to add caching, logging or telemetry.
/// </remarks>
public sealed partial class ChatPreferenceJudge : IPreferenceJudge
{
    private readonly IChatClient _teacher;
    private readonly ChatPreferenceJudgeOptions _options;
    private readonly ResiliencePipeline<AspectAnswer> _parseRetry;
    private readonly ILogger _logger;

    /// <summary>Creates a judge.</summary>
    /// <param name="teacher">The teacher model.</param>
    /// <param name="options">The options; <see langword="null"/> for the defaults.</param>
    /// <param name="logger">Receives a warning per refused answer; may be null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range.</exception>
    public ChatPreferenceJudge(IChatClient teacher, ChatPreferenceJudgeOptions? options = null, ILogger<ChatPreferenceJudge>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(teacher);
        _teacher = teacher;
        _options = options ?? new ChatPreferenceJudgeOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxAttempts, 1, "options.MaxAttempts");
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.MaxOutputTokens, 1, "options.MaxOutputTokens");
        if (_options.Aspects.Count == 0 || _options.Aspects.Distinct().Count() != _options.Aspects.Count)
        {
            throw new ArgumentException("options.Aspects must name at least one aspect, each once.", nameof(options));
        }

        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _parseRetry = _options.MaxAttempts == 1
            ? ResiliencePipeline<AspectAnswer>.Empty
            : new ResiliencePipelineBuilder<AspectAnswer>()
                .AddRetry(new RetryStrategyOptions<AspectAnswer>
                {
                    MaxRetryAttempts = _options.MaxAttempts - 1,
                    Delay = TimeSpan.Zero,
                    ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { Ratings: null }),
                })
                .Build();
    }

    /// <inheritdoc />
    public async Task<PreferenceJudgement> JudgeAsync(PreferenceJudgeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        string[] completions = request.Candidates.Select(c => c.Completion).ToArray();
        var ratings = Enumerable.Range(0, completions.Length).Select(_ => new List<AspectRating>()).ToArray();
        var failures = Enumerable.Range(0, completions.Length).Select(_ => new List<JudgeFailure>()).ToArray();
        foreach (FeedbackAspect aspect in _options.Aspects)
        {
            AspectAnswer answer = await RateAspectAsync(request, aspect, completions, cancellationToken).ConfigureAwait(false);
            for (int i = 0; i < completions.Length; i++)
            {
                if (answer.Ratings is { } accepted)
                {
                    ratings[i].Add(accepted[i]);
                }
                else
                {
                    failures[i].Add(new JudgeFailure(aspect, answer.Error, answer.Raw, answer.Attempt));
                }
            }
        }

        return new PreferenceJudgement(Enumerable.Range(0, completions.Length).Select(i => new CandidateJudgement(ratings[i], failures[i])).ToArray());
    }

    private async Task<AspectAnswer> RateAspectAsync(PreferenceJudgeRequest request, FeedbackAspect aspect, string[] completions, CancellationToken cancellationToken)
    {
        ChatMessage[] messages =
        [
            new(ChatRole.System, UltraFeedbackRubric.SystemMessage),
            new(ChatRole.User, UltraFeedbackRubric.BuildRequest(aspect, request.Prompt, completions)),
        ];
        var chatOptions = new ChatOptions { ModelId = _options.Model, Temperature = _options.Temperature, MaxOutputTokens = _options.MaxOutputTokens };
        int attempt = 0;
        return await _parseRetry.ExecuteAsync(
            async ct =>
            {
                attempt++;
                string raw;
                try
                {
                    ChatResponse response = await _teacher.GetResponseAsync(messages, chatOptions, ct).ConfigureAwait(false);
                    raw = response.Text;
                }
                catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
                {
                    // The client has already retried transient errors; what is left is recorded, not thrown, so one bad
                    // prompt does not end a long run.
                    LogRequestFailed(_logger, request.PromptId, aspect.ToWireName(), e.GetType().Name, e.Message);
                    return new AspectAnswer(null, $"request failed: {e.GetType().Name}: {e.Message}", string.Empty, attempt);
                }

                if (RatingAnswerParser.TryParse(raw, aspect, completions.Length, out IReadOnlyList<AspectRating> parsed, out string error))
                {
                    return new AspectAnswer(parsed, string.Empty, raw, attempt);
                }

                LogAnswerRefused(_logger, request.PromptId, aspect.ToWireName(), attempt, _options.MaxAttempts, error);
                return new AspectAnswer(null, error, raw, attempt);
            },
            cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Teacher answer for prompt {PromptId}, aspect {Aspect} refused (attempt {Attempt} of {MaxAttempts}): {Error}")]
    private static partial void LogAnswerRefused(ILogger logger, string promptId, string aspect, int attempt, int maxAttempts, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Teacher request for prompt {PromptId}, aspect {Aspect} failed: {ExceptionType}: {Error}")]
    private static partial void LogRequestFailed(ILogger logger, string promptId, string aspect, string exceptionType, string error);

    /// <summary>One aspect's outcome: the ratings, or the error and the raw answer.</summary>
    private sealed record AspectAnswer(IReadOnlyList<AspectRating>? Ratings, string Error, string Raw, int Attempt);
}
