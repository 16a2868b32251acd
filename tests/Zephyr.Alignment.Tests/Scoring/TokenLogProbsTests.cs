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
