using System.Text.Json;
using Zephyr.Alignment.Dpo.Losses;
using Zephyr.Alignment.Runtime;
using Zephyr.Alignment.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Dpo;

/// <summary>The copied <c>Fixtures/dpo/cases.json</c> (see its PROVENANCE.md), parsed once.</summary>
internal static class DpoFixture
{
    private static readonly Lazy<JsonElement> Document = new(() =>
    {
        using var stream = File.OpenRead(TestPaths.Fixture("dpo", "cases.json"));
        using var document = JsonDocument.Parse(stream);
        return document.RootElement.Clone();
    });

    public static JsonElement Root => Document.Value;

    public static IEnumerable<JsonElement> CurrentCases => Root.GetProperty("cases").EnumerateArray();

    public static IEnumerable<JsonElement> LegacyCases => Root.GetProperty("legacy_v0_28").GetProperty("cases").EnumerateArray();

    public static IEnumerable<JsonElement> BcoSequence => Root.GetProperty("legacy_v0_28").GetProperty("bco_pair_sequence").GetProperty("steps").EnumerateArray();

    public static IEnumerable<JsonElement> Float32Cases => Root.GetProperty("float32").GetProperty("cases").EnumerateArray();

    public static IEnumerable<JsonElement> TokenLevelCases => Root.GetProperty("token_level").GetProperty("cases").EnumerateArray();

    public static TheoryData<string> Ids(IEnumerable<JsonElement> cases) => [.. cases.Select(Id)];

    public static string Id(JsonElement c) => c.GetProperty("id").GetString()!;

    public static JsonElement Find(IEnumerable<JsonElement> cases, string id) => cases.Single(c => Id(c) == id);

    /// <summary>The numbers of a nested JSON array, in row-major order.</summary>
    public static double[] Flat(JsonElement nested)
    {
        var values = new List<double>();
        void Walk(JsonElement e)
        {
            if (e.ValueKind == JsonValueKind.Array)
            {
                foreach (JsonElement child in e.EnumerateArray())
                {
                    Walk(child);
                }
            }
            else
            {
                values.Add(e.GetDouble());
            }
        }

        Walk(nested);
        return [.. values];
    }

    /// <summary>A nested JSON array (e.g. the token-level cases' logits [2B, T, V]) as a tensor of its shape.</summary>
    public static Tensor Nested(JsonElement nested, ScalarType dtype)
    {
        var shape = new List<long>();
        for (JsonElement e = nested; e.ValueKind == JsonValueKind.Array; e = e[0])
        {
            shape.Add(e.GetArrayLength());
        }

        return tensor(Flat(nested), dtype).reshape([.. shape]);
    }

    public static double[] Doubles(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetDouble())];

    public static long[] Longs(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetInt64())];

    public static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    public static double? OptionalDouble(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetDouble() : null;

    /// <summary>The loss a current-TRL case describes, built through the factory from its TRL names.</summary>
    public static ILossFunction CurrentLoss(JsonElement c)
    {
        JsonElement p = c.GetProperty("params");
        string[] types = Strings(c.GetProperty("loss_type"));
        double[]? weights = c.GetProperty("loss_weights").ValueKind == JsonValueKind.Null ? null : Doubles(c.GetProperty("loss_weights"));
        IDivergenceScore divergence = DivergenceScores.Create(
            p.GetProperty("f_divergence_type").GetString()!, p.GetProperty("f_alpha_divergence_coef").GetDouble());
        return DpoLosses.Create(
            types, weights, p.GetProperty("beta").GetDouble(), p.GetProperty("label_smoothing").GetDouble(),
            p.GetProperty("discopop_tau").GetDouble(), divergence);
    }

    /// <summary>The loss a legacy (TRL 0.28) case describes.</summary>
    public static ILossFunction LegacyLoss(JsonElement c)
    {
        JsonElement p = c.GetProperty("params");
        string[] types = Strings(c.GetProperty("loss_type"));
        double[]? weights = c.GetProperty("loss_weights").ValueKind == JsonValueKind.Null ? null : Doubles(c.GetProperty("loss_weights"));
        return DpoLosses.CreateLegacy(
            types, weights, p.GetProperty("beta").GetDouble(), p.GetProperty("label_smoothing").GetDouble(),
            p.GetProperty("discopop_tau").GetDouble(), OptionalDouble(p, "rpo_alpha"));
    }
}

/// <summary>A case's inputs as tensors of one dtype; disposing it releases them.</summary>
internal sealed class FixtureBatch : IDisposable
{
    private readonly List<Tensor> owned = [];

    private FixtureBatch(JsonElement inputs, ScalarType dtype, bool requiresGrad)
    {
        TorchRuntime.EnsureInitialized();
        Tensor Own(Tensor t)
        {
            owned.Add(t);
            return t;
        }

        Tensor Vector(string name) => Own(tensor(DpoFixture.Doubles(inputs.GetProperty(name)), dtype));
        PolicyChosen = Vector("policy_chosen_logps").requires_grad_(requiresGrad);
        PolicyRejected = Vector("policy_rejected_logps").requires_grad_(requiresGrad);
        Tensor? nll = null;
        // Current cases name the sft input chosen_token_nll_mean, legacy cases nll_loss; both are the same quantity.
        foreach (string name in new[] { "chosen_token_nll_mean", "nll_loss" })
        {
            if (inputs.TryGetProperty(name, out var value))
            {
                nll = Own(tensor(value.GetDouble(), dtype));
            }
        }

        Inputs = new PreferenceLossInputs
        {
            PolicyChosenLogps = PolicyChosen,
            PolicyRejectedLogps = PolicyRejected,
            ReferenceChosenLogps = Vector("ref_chosen_logps"),
            ReferenceRejectedLogps = Vector("ref_rejected_logps"),
            ChosenLengths = Own(tensor(DpoFixture.Longs(inputs.GetProperty("chosen_lengths")))),
            RejectedLengths = Own(tensor(DpoFixture.Longs(inputs.GetProperty("rejected_lengths")))),
            ChosenTokenNllMean = nll,
        };
    }

    public PreferenceLossInputs Inputs { get; }

    public Tensor PolicyChosen { get; }

    public Tensor PolicyRejected { get; }

    public static FixtureBatch From(JsonElement inputs, ScalarType dtype = ScalarType.Float64, bool requiresGrad = false) => new(inputs, dtype, requiresGrad);

    public void Dispose()
    {
        foreach (Tensor t in owned)
        {
            t.Dispose();
        }
    }
}
