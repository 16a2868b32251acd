using Microsoft.Extensions.Logging.Abstractions;
using Zephyr.Alignment.Aif.Judging;
using Zephyr.Alignment.Aif.Running;
using Zephyr.Alignment.Dpo.Data;
using Zephyr.Alignment.Pipeline;
using Zephyr.Alignment.Pipeline.Reporting;
using Zephyr.Alignment.Pipeline.Stages;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Pipeline;

/// <summary>The mini run's AIF stage with the teacher's own answers in the pool of generators (<c>TeacherGenerator</c>).</summary>
public sealed class AifStageTests
{
    [Fact]
    public async Task With_the_teacher_as_a_generator_every_prompt_has_the_ideal_answer_as_a_candidate_and_every_pair_chooses_a_five()
    {
        using var folder = new TempDirectory();
        var options = new PipelineOptions
        {
            OutputDirectory = folder.Path,
            AifPrompts = 8,
            TestPrefPrompts = 8,
            EvalPrompts = 8,
            SftExamples = 8,
            SftGeneratorTemperatures = [1.0],
            BaseGeneratorTemperature = 0,
            TeacherGenerator = true,
            MaxNewTokens = 8,
            GenerationBatchSize = 8,
        };
        var context = new PipelineContext(options, new RunLayout(folder.Path), new PipelineConsole(), NullLoggerFactory.Instance);
        string model = TestPaths.Fixture("tiny-llama"); // random weights: its answers are never right, the teacher's always are

        AifStage.Summary summary = await AifStage.RunAsync(context, model, model, CancellationToken.None);

        Assert.Equal(16, summary.Prompts);
        Assert.Equal(["dsft-t1.0", AifStage.TeacherGeneratorName], summary.MeanScoreByGenerator.Keys);
        Assert.Equal(5.0, summary.MeanScoreByGenerator[AifStage.TeacherGeneratorName]);
        IReadOnlyList<ScoredPromptRecord> scored = ScoredFile.ReadAndRepair(Path.Combine(context.Layout.Aif, AifRunner.ScoredFileName), ScoreAggregation.Mean, out _);
        Assert.Equal(8, scored.Count);
        Assert.All(scored, record => Assert.Contains(record.Prompt.Candidates, c =>
            c.Candidate.Generator == AifStage.TeacherGeneratorName && c.Candidate.Completion == context.Splits.ById[record.Prompt.Prompt].IdealAnswer));

        var pairs = new List<PreferenceExample>();
        await foreach (PreferenceExample pair in new PreferenceDataset(summary.TrainFile).ReadAsync())
        {
            pairs.Add(pair);
        }

        Assert.Equal(summary.TrainPairs, pairs.Count);
        Assert.NotEmpty(pairs);
        Assert.All(pairs, p => Assert.Equal(5.0, p.ScoreChosen));
    }
}
