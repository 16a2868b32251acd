using Microsoft.Extensions.Logging.Abstractions;
using Zephyr.Alignment.Pipeline;
using Zephyr.Alignment.Pipeline.Reporting;
using Zephyr.Alignment.Pipeline.Stages;
using Zephyr.Alignment.Tests.Infrastructure;

namespace Zephyr.Alignment.Tests.Pipeline;

/// <summary>The run's verdict on the paper's first finding: claimed only when the win rate is above one half by more than chance.</summary>
public sealed class ShapeFindingTests
{
    [Theory]
    [InlineData(9, 1, 0.021484375)]
    [InlineData(7, 3, 0.34375)]
    [InlineData(3, 7, 0.34375)]
    [InlineData(20, 15, 0.49955983320251107)]
    [InlineData(60, 20, 8.580559867049611e-06)]
    [InlineData(1600, 1400, 0.0002785639610392337)] // 2^-3000 underflows a double: the tail is summed in log space
    [InlineData(5, 5, 1.0)]
    [InlineData(0, 0, 1.0)]
    public void The_sign_test_gives_the_exact_two_sided_binomial_p_value(int wins, int losses, double expected)
        => Assert.Equal(expected, SignTest.TwoSidedP(wins, losses), expected * 1e-9);

    [Theory]
    [InlineData(20, 15, 205, "NOT clearly as in the paper: dSFT + dDPO's win rate against dSFT is 0.510, above 0.5 but within chance (20 wins, 15 losses, 205 ties on 240 prompts, sign test p = 0.500;")]
    [InlineData(60, 20, 160, "As in the paper, dSFT + dDPO beats dSFT alone: win rate 0.583 > 0.5 (60 wins, 20 losses, 160 ties on 240 prompts, sign test p < 0.001;")]
    [InlineData(15, 20, 205, "NOT as in the paper: dSFT + dDPO does not beat dSFT alone (win rate 0.490 ≤ 0.5; 15 wins, 20 losses, 205 ties on 240 prompts,")]
    public void The_first_finding_is_claimed_only_when_the_win_rate_is_above_one_half_by_more_than_chance(int wins, int losses, int ties, string expected)
    {
        using var folder = new TempDirectory();
        RunReport report = Report(folder.Path, wins, losses, ties);

        string finding = report.ShapeFindings().First();

        Assert.StartsWith(expected, finding, StringComparison.Ordinal);
        Assert.Equal(expected.StartsWith("As in", StringComparison.Ordinal), report.ZephyrBeatsDsft);
    }

    private static RunReport Report(string folder, int wins, int losses, int ties)
    {
        int prompts = wins + losses + ties;
        VariantMetrics Row(string name, double winRate, int w, int l, int t) => new()
        {
            Name = name,
            Prompts = prompts,
            TaskAccuracy = 0.5,
            FormatAccuracy = name == StageNames.DdpoOnly ? 0 : 0.9,
            TeacherScore = 3,
            WinRateVsDsft = winRate,
            WinsVsDsft = w,
            LossesVsDsft = l,
            TiesVsDsft = t,
            StoppedOnEos = 1,
            ContentAccuracy = 0.5,
            PreambleRate = 0,
            MadeUpAnswerRate = 0,
            TaskAccuracyByKind = new Dictionary<string, double>(),
        };

        var options = new PipelineOptions { OutputDirectory = folder };
        var context = new PipelineContext(options, new RunLayout(folder), new PipelineConsole(), NullLoggerFactory.Instance);
        var aif = new AifStage.Summary(0, 0, 0, 0, new Dictionary<string, int>(), 0, 0, new Dictionary<string, double>(), "", "");
        return new RunReport(context,
        [
            Row(StageNames.Base, 0, 0, prompts, 0),
            Row(StageNames.Dsft, 0.5, 0, 0, prompts),
            Row(StageNames.DdpoOnly, 0, 0, prompts, 0),
            Row(StageNames.DsftDdpo, (wins + (0.5 * ties)) / prompts, wins, losses, ties),
        ], aif, new Dictionary<string, double>(), []);
    }
}
