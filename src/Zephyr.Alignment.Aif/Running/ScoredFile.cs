using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Zephyr.Alignment.Aif.Binarization;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Data;

namespace Zephyr.Alignment.Aif.Running;

/// <summary>
/// <c>scored.jsonl</c>: one JSON line per finished prompt, appended whole with one write and a flush to disk, so a
/// killed run leaves at most an incomplete last line, which the next run discards before it resumes.
/// </summary>
/// <remarks>
/// A line: <c>{"index":0,"prompt_id":"…","prompt":"…","candidates":[{"generator":"sft-hot","sample":0,"completion":"…",
/// "score":4.25,"ratings":[{"aspect":"helpfulness","rating":4,"rationale":"…"},{"aspect":"honesty","rating":null,"rationale":"…"}],
/// "failures":[{"aspect":"truthfulness","reason":"Text 2 is missing","raw_answer":"…","attempts":3}]}],
/// "generation_failures":[{"generator":"remote","sample":0,"error":"…"}]}</c>. A null rating is N/A.
/// </remarks>
public static class ScoredFile
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>One record as a JSON line with its trailing newline, UTF-8.</summary>
    /// <param name="record">The record.</param>
    public static byte[] ToLine(ScoredPromptRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("index", record.Index);
            w.WriteString("prompt_id", record.Prompt.PromptId);
            w.WriteString("prompt", record.Prompt.Prompt);
            w.WriteStartArray("candidates");
            foreach (ScoredCandidate c in record.Prompt.Candidates)
            {
                w.WriteStartObject();
                w.WriteString("generator", c.Candidate.Generator);
                w.WriteNumber("sample", c.Candidate.Sample);
                w.WriteString("completion", c.Candidate.Completion);
                if (c.Score is { } score)
                {
                    w.WriteNumber("score", score);
                }
                else
                {
                    w.WriteNull("score");
                }

                w.WriteStartArray("ratings");
                foreach (AspectRating r in c.Judgement.Ratings)
                {
                    w.WriteStartObject();
                    w.WriteString("aspect", r.Aspect.ToWireName());
                    if (r.Rating is { } rating)
                    {
                        w.WriteNumber("rating", rating);
                    }
                    else
                    {
                        w.WriteNull("rating");
                    }

                    w.WriteString("rationale", r.Rationale);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteStartArray("failures");
                foreach (JudgeFailure f in c.Judgement.Failures)
                {
                    w.WriteStartObject();
                    w.WriteString("aspect", f.Aspect.ToWireName());
                    w.WriteString("reason", f.Reason);
                    w.WriteString("raw_answer", f.RawAnswer);
                    w.WriteNumber("attempts", f.Attempts);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteStartArray("generation_failures");
            foreach (GenerationFailure g in record.GenerationFailures)
            {
                w.WriteStartObject();
                w.WriteString("generator", g.Generator);
                w.WriteNumber("sample", g.Sample);
                w.WriteString("error", g.Error);
                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>
    /// Reads every complete line of <paramref name="path"/>. An incomplete last line (no newline: a run killed while
    /// appending) is cut off the file, and <paramref name="discardedBytes"/> says how long it was.
    /// </summary>
    /// <param name="path">The file; a missing file has no records.</param>
    /// <param name="aggregation">Recomputes each candidate's score from its ratings.</param>
    /// <param name="discardedBytes">The length of the incomplete last line removed, 0 if none.</param>
    /// <exception cref="DatasetFormatException">A complete line is not a valid record (naming the line).</exception>
    public static IReadOnlyList<ScoredPromptRecord> ReadAndRepair(string path, ScoreAggregation aggregation, out int discardedBytes)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        discardedBytes = 0;
        if (!File.Exists(path))
        {
            return [];
        }

        byte[] bytes = File.ReadAllBytes(path);
        int end = Array.LastIndexOf(bytes, (byte)'\n') + 1;
        if (end < bytes.Length)
        {
            discardedBytes = bytes.Length - end;
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.None);
            stream.SetLength(end);
            stream.Flush(flushToDisk: true);
        }

        var records = new List<ScoredPromptRecord>();
        string[] lines = Encoding.UTF8.GetString(bytes, 0, end).Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0)
            {
                continue;
            }

            try
            {
                records.Add(Parse(lines[i], aggregation));
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or ArgumentException or FormatException)
            {
                throw new DatasetFormatException(path, null, i + 1, null, $"not a scored-prompt record ({e.Message})", e);
            }
        }

        return records;
    }

    private static ScoredPromptRecord Parse(string line, ScoreAggregation aggregation)
    {
        using JsonDocument document = JsonDocument.Parse(line);
        JsonElement root = document.RootElement;
        var candidates = new List<ScoredCandidate>();
        foreach (JsonElement c in root.GetProperty("candidates").EnumerateArray())
        {
            var ratings = c.GetProperty("ratings").EnumerateArray().Select(r =>
            {
                FeedbackAspect aspect = Aspect(r.GetProperty("aspect").GetString());
                string rationale = r.GetProperty("rationale").GetString() ?? string.Empty;
                return r.GetProperty("rating").ValueKind == JsonValueKind.Null
                    ? AspectRating.NotApplicable(aspect, rationale)
                    : AspectRating.Of(aspect, r.GetProperty("rating").GetInt32(), rationale);
            }).ToArray();
            var failures = c.GetProperty("failures").EnumerateArray().Select(f => new JudgeFailure(
                Aspect(f.GetProperty("aspect").GetString()),
                f.GetProperty("reason").GetString() ?? string.Empty,
                f.GetProperty("raw_answer").GetString() ?? string.Empty,
                f.GetProperty("attempts").GetInt32())).ToArray();
            var judgement = new CandidateJudgement(ratings, failures);
            var candidate = new Candidate(c.GetProperty("generator").GetString()!, c.GetProperty("completion").GetString()!, c.GetProperty("sample").GetInt32());
            candidates.Add(new ScoredCandidate(candidate, judgement, CandidateScores.Compute(judgement, aggregation)));
        }

        var generationFailures = root.GetProperty("generation_failures").EnumerateArray()
            .Select(g => new GenerationFailure(g.GetProperty("generator").GetString()!, g.GetProperty("sample").GetInt32(), g.GetProperty("error").GetString() ?? string.Empty))
            .ToArray();
        var prompt = new ScoredPrompt(root.GetProperty("prompt_id").GetString()!, root.GetProperty("prompt").GetString()!, candidates);
        return new ScoredPromptRecord(root.GetProperty("index").GetInt32(), prompt, generationFailures);
    }

    private static FeedbackAspect Aspect(string? name) =>
        FeedbackAspects.TryParse(name, out FeedbackAspect aspect) ? aspect : throw new FormatException($"unknown aspect '{name}'");
}
