using ScottPlot;
using Zephyr.Alignment.Pipeline.Stages;

namespace Zephyr.Alignment.Pipeline.Reporting;

/// <summary>The run's PNG plots (ScottPlot): losses, DPO reward margins and accuracies, and the ablation bars.</summary>
internal static class Plots
{
    private const int Width = 900;
    private const int Height = 520;

    private static readonly Color[] Palette =
        [Color.FromHex("#1f77b4"), Color.FromHex("#ff7f0e"), Color.FromHex("#2ca02c"), Color.FromHex("#d62728"), Color.FromHex("#9467bd")];

    /// <summary>Training loss of every stage against its optimizer step.</summary>
    public static string Losses(RunLayout layout, string path)
    {
        var plot = NewPlot("Training loss per stage", "optimizer step (of each stage)", "loss");
        int color = 0;
        foreach (string stage in new[] { StageNames.Base, StageNames.Dsft, StageNames.DdpoOnly, StageNames.DsftDdpo })
        {
            AddLine(plot, MetricsLog.Read(layout.Stage(stage)), MetricNames.Loss, StageLabel(stage), Palette[color++]);
        }

        // Losses fall, so the upper right is where the curves are not.
        plot.ShowLegend(ScottPlot.Alignment.UpperRight);
        return Save(plot, path);
    }

    /// <summary>A DPO metric (<c>rewards/margins</c> or <c>rewards/accuracies</c>) of both DPO runs, training curve and held-out value.</summary>
    public static string DpoMetric(RunLayout layout, string metric, string title, string yLabel, string path)
    {
        var plot = NewPlot(title, "optimizer step", yLabel);
        int color = 2;
        foreach (string stage in new[] { StageNames.DdpoOnly, StageNames.DsftDdpo })
        {
            var series = MetricsLog.Read(layout.Stage(stage));
            Color c = Palette[color++];
            AddLine(plot, series, metric, StageLabel(stage) + " (train)", c);
            if (series.TryGetValue(MetricNames.Eval(metric), out var eval) && eval.Count > 0)
            {
                var points = plot.Add.ScatterPoints(eval.Select(p => p.Step).ToArray(), eval.Select(p => p.Value).ToArray());
                points.Color = c;
                points.MarkerSize = 12;
                points.MarkerShape = MarkerShape.FilledDiamond;
                points.LegendText = StageLabel(stage) + " (held-out test_prefs)";
            }
        }

        // Reward margins and accuracies rise from 0, so the lower right is where the curves are not.
        plot.ShowLegend(ScottPlot.Alignment.LowerRight);
        return Save(plot, path);
    }

    /// <summary>The ablation: task accuracy, format accuracy, win rate vs dSFT and teacher score / 5, grouped per variant.</summary>
    public static string Ablation(IReadOnlyList<VariantMetrics> rows, string path)
    {
        var plot = NewPlot("Ablation on held-out prompts (higher is better)", "", "fraction (teacher score / 5)");
        (string Label, Func<VariantMetrics, double> Value)[] metrics =
        [
            ("task accuracy", r => r.TaskAccuracy),
            ("format accuracy", r => r.FormatAccuracy),
            ("win rate vs dSFT", r => r.WinRateVsDsft),
            ("teacher score / 5", r => r.TeacherScore / 5),
        ];
        var bars = new List<Bar>();
        for (int v = 0; v < rows.Count; v++)
        {
            for (int m = 0; m < metrics.Length; m++)
            {
                double value = metrics[m].Value(rows[v]);
                bars.Add(new Bar
                {
                    Position = v * (metrics.Length + 1) + m,
                    Value = double.IsFinite(value) ? value : 0,
                    FillColor = Palette[m],
                    Label = double.IsFinite(value) ? value.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "n/a",
                });
            }
        }

        var barPlot = plot.Add.Bars(bars);
        barPlot.ValueLabelStyle.FontSize = 11;
        Tick[] ticks = [.. rows.Select((r, v) => new Tick(v * (metrics.Length + 1) + (metrics.Length - 1) / 2.0, StageLabel(r.Name)))];
        plot.Axes.Bottom.TickGenerator = new ScottPlot.TickGenerators.NumericManual(ticks);
        plot.Axes.Bottom.MajorTickStyle.Length = 0;
        for (int m = 0; m < metrics.Length; m++)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = metrics[m].Label, FillColor = Palette[m] });
        }

        plot.Axes.SetLimitsY(0, 1.15);
        plot.Legend.Alignment = ScottPlot.Alignment.UpperLeft;
        plot.Legend.Orientation = Orientation.Horizontal;
        return Save(plot, path);
    }

    /// <summary>The variant names as the paper's ablation calls them.</summary>
    public static string StageLabel(string name) => name switch
    {
        StageNames.Base => "base",
        StageNames.Dsft => "dSFT",
        StageNames.DdpoOnly => "dDPO only",
        StageNames.DsftDdpo => "dSFT + dDPO",
        _ => name,
    };

    private static bool fontsChecked;

    private static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        if (!fontsChecked)
        {
            fontsChecked = true;

            // ScottPlot draws text with the system's fonts (through SkiaSharp and fontconfig); without any, labels vanish.
            if (SkiaSharp.SKFontManager.Default.FontFamilyCount == 0)
            {
                Console.Error.WriteLine("warning: no system fonts were found, so the plots will have no text; install one (e.g. apt-get install fonts-dejavu-core) and rerun with --resume.");
            }
        }

        var plot = new Plot();
        plot.Title(title, size: 18);
        plot.XLabel(xLabel, size: 14);
        plot.YLabel(yLabel, size: 14);
        plot.Axes.Bottom.TickLabelStyle.FontSize = 13;
        plot.Axes.Left.TickLabelStyle.FontSize = 13;
        plot.Legend.FontSize = 12;
        return plot;
    }

    private static void AddLine(Plot plot, Dictionary<string, List<(double Step, double Value)>> series, string metric, string label, Color color)
    {
        if (!series.TryGetValue(metric, out var points) || points.Count == 0)
        {
            return;
        }

        var line = plot.Add.Scatter(points.Select(p => p.Step).ToArray(), points.Select(p => p.Value).ToArray());
        line.LegendText = label;
        line.Color = color;
        line.LineWidth = 2;
        line.MarkerSize = points.Count == 1 ? 6 : 0;
    }

    private static string Save(Plot plot, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temporary = path + ".tmp.png";
        plot.SavePng(temporary, Width, Height);
        File.Move(temporary, path, overwrite: true);
        return path;
    }
}
