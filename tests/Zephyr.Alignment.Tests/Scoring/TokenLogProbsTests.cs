using System.Text.Json;
using TorchSharp;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Scoring;
using Zephyr.Alignment.Tests.Infrastructure;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Tests.Scoring;

public sealed class TokenLogProbsTests
{
    [Fact]
    public void Chunked_gather_equals_a_full_log_softmax_and_is_differentiable()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        Tensor logits = randn(3, 5, 11, dtype: ScalarType.Float64).requires_grad_();
        Tensor labels = randint(0, 11, [3, 5], dtype: ScalarType.Int64);
        labels[1, 2] = tensor(-100L);

        Tensor chunked = TokenLogProbs.Gather(logits, labels, chunkRows: 4);
        Tensor full = nn.functional.log_softmax(logits, -1).gather(-1, labels.clamp_min(0).unsqueeze(-1)).squeeze(-1);
        full = full.where(labels >= 0, zeros_like(full));

        Assert.True(chunked.allclose(full, rtol: 0, atol: 1e-12));
        Assert.Equal(0.0, chunked[1, 2].item<double>());
        chunked.sum().backward();
        Assert.True(logits.grad!.abs().sum().item<double>() > 0);
    }

    [Fact]
    public void Scoring_only_the_window_from_the_first_completion_on_gives_the_same_log_probs()
    {
        using var scope = NewDisposeScope();
        manual_seed(5);
        Tensor logits = randn(3, 9, 6, dtype: ScalarType.Float64);
        Tensor ids = randint(0, 6, [3, 9], dtype: ScalarType.Int64);
        Tensor completion = zeros(3, 9, ScalarType.Int64);
        completion[0, 4..7] = tensor(1L);   // prompt 4, completion 3, padding
        completion[1, 3..9] = tensor(1L);   // the earliest completion: position 3
        completion[2, 6..8] = tensor(1L);

        long keep = TokenLogProbs.LogitsToKeep(completion);
        Assert.Equal(7, keep);              // positions 2..8: position 2 predicts the first completion token
        using CompletionLogProbs all = TokenLogProbs.ForCompletions(logits, ids, completion);
        using CompletionLogProbs window = TokenLogProbs.ForCompletions(
            logits.narrow(1, 9 - keep, keep).contiguous(), ids.narrow(1, 9 - keep, keep), completion.narrow(1, 9 - keep, keep));
        Assert.True(window.Sum.allclose(all.Sum, rtol: 0, atol: 1e-12));
        Assert.True(window.TokenCount.eq(all.TokenCount).all().item<bool>());
        Assert.Equal(9, TokenLogProbs.LogitsToKeep(zeros(2, 9, ScalarType.Int64)));
        Assert.Equal(9, TokenLogProbs.LogitsToKeep(ones(2, 9, ScalarType.Int64)));
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-12)]
    [InlineData(ScalarType.Float32, 1e-6)]
    [InlineData(ScalarType.BFloat16, 1e-2)]
    public void Gradients_of_the_chunked_gather_equal_those_of_log_softmax(ScalarType dtype, double tolerance)
    {
        using var scope = NewDisposeScope();
        manual_seed(11);
        Tensor values = randn(2, 7, 13, dtype: ScalarType.Float64) * 3;
        Tensor labels = randint(0, 13, [2, 7], dtype: ScalarType.Int64);
        labels[0, 3] = tensor(-100L);
        Tensor upstream = randn(2, 7, dtype: ScalarType.Float64);

        Tensor ours = values.to(dtype).requires_grad_();
        TokenLogProbs.Gather(ours, labels, chunkRows: 3).mul(upstream.to(ours.dtype == ScalarType.Float64 ? ScalarType.Float64 : ScalarType.Float32)).sum().backward();

        Tensor reference = values.to(dtype).to(ScalarType.Float64).requires_grad_();
        Tensor full = nn.functional.log_softmax(reference, -1).gather(-1, labels.clamp_min(0).unsqueeze(-1)).squeeze(-1);
        full.where(labels >= 0, zeros_like(full)).mul(upstream).sum().backward();

        Assert.Equal(dtype, ours.grad!.dtype);
        Assert.True(ours.grad.to(ScalarType.Float64).allclose(reference.grad!, rtol: 0, atol: tolerance),
            $"max difference {(ours.grad.to(ScalarType.Float64) - reference.grad!).abs().max().item<double>()}");
        Assert.Equal(0.0, ours.grad[0, 3].abs().sum().to(ScalarType.Float64).item<double>());
    }

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("tiny-mistral")]
    public void Completion_log_probs_match_the_reference_fixture(string folder)
    {
        using var scope = NewDisposeScope();
        using CausalLanguageModel model = PretrainedModel.Load(TestPaths.Fixture(folder));
        using JsonDocument expected = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture(folder, "expected.json")));

        foreach (JsonElement item in expected.RootElement.GetProperty("completion_logps").GetProperty("items").EnumerateArray())
        {
            long[] prompt = item.GetProperty("prompt_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            long[] completion = item.GetProperty("completion_ids").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            Tensor ids = tensor(prompt.Concat(completion).ToArray()).unsqueeze(0);
            Tensor mask = tensor(prompt.Select(_ => 0L).Concat(completion.Select(_ => 1L)).ToArray()).unsqueeze(0);

            using CompletionLogProbs result = TokenLogProbs.ForCompletions(model.Forward(ids), ids, mask);

            double[] perToken = item.GetProperty("per_token_logps").EnumerateArray().Select(e => e.GetDouble()).ToArray();
            float[] ours = result.PerToken[0].narrow(0, prompt.Length - 1, completion.Length).data<float>().ToArray();
            Assert.Equal(perToken.Length, ours.Length);
            Assert.All(perToken.Zip(ours), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-4, $"{p.First} vs {p.Second}"));
            Assert.Equal(item.GetProperty("sum_logp").GetDouble(), result.Sum[0].item<float>(), 1e-3);
            Assert.Equal(completion.Length, result.TokenCount[0].item<long>());
        }
    }
}
