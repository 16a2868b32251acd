using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;
using Zephyr.Alignment.Aif.Judging;

namespace Zephyr.Alignment.Tests.Aif;

/// <summary>
/// A deterministic teacher for tests: rates by plain rules (more distinct words is more helpful and better at
/// following the instruction, fewer repeated words is more truthful, honesty is N/A for poems).
/// </summary>
internal static partial class RuleBasedTeacher
{
    public static AspectRating Rate(FeedbackAspect aspect, string prompt, string completion)
    {
        string[] words = completion.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        int distinct = words.Distinct(StringComparer.OrdinalIgnoreCase).Count();
        int repeats = words.Length - distinct;
        return aspect switch
        {
            FeedbackAspect.Honesty when prompt.Contains("poem", StringComparison.OrdinalIgnoreCase) => AspectRating.NotApplicable(aspect, "creative task"),
            FeedbackAspect.Honesty => AspectRating.Of(aspect, 3, "neutral"),
            FeedbackAspect.Truthfulness => AspectRating.Of(aspect, Math.Clamp(5 - repeats, 1, 5), $"{repeats} repeated words"),
            _ => AspectRating.Of(aspect, Math.Clamp(1 + (distinct / 2), 1, 5), $"{distinct} distinct words"),
        };
    }

    /// <summary>The rules as a programmatic <see cref="IPreferenceJudge"/>.</summary>
    public sealed class Judge : IPreferenceJudge
    {
        public int Calls { get; private set; }

        public Task<PreferenceJudgement> JudgeAsync(PreferenceJudgeRequest request, CancellationToken cancellationToken = default)
        {
            Calls++;
            return Task.FromResult(new PreferenceJudgement(request.Candidates
                .Select(c => new CandidateJudgement(FeedbackAspects.All.Select(a => Rate(a, request.Prompt, c.Completion)).ToArray()))
                .ToArray()));
        }
    }

    /// <summary>
    /// The same rules behind a chat model: it reads an <see cref="UltraFeedbackRubric"/> request and answers the way real
    /// teachers do (bold labels, 4/5, reversed order, prose around the blocks). <paramref name="garble"/> decides, from
    /// the request number and aspect, whether to answer something unparseable instead.
    /// </summary>
    public sealed partial class ChatClient(Func<int, FeedbackAspect, bool>? garble = null) : IChatClient
    {
        private int _requests;

        public int Requests => _requests;

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            int number = Interlocked.Increment(ref _requests);
            string request = messages.Last().Text;
            FeedbackAspect aspect = FeedbackAspects.All.Single(a => request.StartsWith(UltraFeedbackRubric.Criterion(a), StringComparison.Ordinal));
            if (garble?.Invoke(number, aspect) == true)
            {
                return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, "I like Text 1 best. Rating: eleven")));
            }

            string prompt = Regex.Match(request, @"## Instruction\n(.*?)\n\n## Texts", RegexOptions.Singleline).Groups[1].Value;
            var texts = TextBlock().Matches(request).Select(m => (Number: int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Text: m.Groups[2].Value)).ToArray();
            var answer = new StringBuilder("Here are my ratings.\n\n");
            foreach ((int n, string text) in texts.Reverse())
            {
                AspectRating rating = Rate(aspect, prompt, text);
                answer.Append("**Text ").Append(n).Append(":**\n");
                answer.Append("**Rating:** ").Append(rating.Rating is { } r ? $"{r}/5" : "N/A").Append('\n');
                answer.Append("**Rationale:** ").Append(rating.Rationale).Append("\n\n");
            }

            answer.Append("Let me know if you need more detail.");
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer.ToString())));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
            => throw new NotSupportedException("The rule-based teacher answers whole responses only.");

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose()
        {
        }

        [GeneratedRegex(@"<text (\d+)>\n(.*?)\n</text \1>", RegexOptions.Singleline)]
        private static partial Regex TextBlock();
    }
}
