using BenchmarkDotNet.Attributes;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Models.Generation;
using static TorchSharp.torch;

namespace Zephyr.Alignment.Benchmarks.Models;

/// <summary>
/// Throughput of a small random Llama (hidden 256, 4 layers, 8 query / 4 key-value heads, vocabulary 2048) on the CPU:
/// a batched forward pass, and greedy generation of 64 tokens from a 64-token prompt with and without the KV cache.
/// Each benchmark sets <c>OperationsPerInvoke</c> to the tokens it processes, so the reported mean is the time per token
/// (tokens/s = 1 / mean) and the ratio column of cached generation against the baseline is the inverse of the cache's speed-up.
/// </summary>
/// <remarks>
/// Only the in-process job runs (no <c>SimpleJob</c> beside it, which would add an out-of-process job and a build), with
/// fixed iteration counts so the slow recomputation baseline stays within the in-process toolchain's time limit.
/// Torch runs one intra-op thread: on a small shared machine, two spinning OpenMP threads competing with other processes
/// slow every op by an order of magnitude and the figures stop meaning anything; one thread keeps the ratios stable.
/// </remarks>
[InProcess]
[WarmupCount(2)]
[IterationCount(8)]
public class GenerationBenchmarks
{
    private const int ForwardBatch = 8;
    private const int ForwardLength = 128;
    private const int PromptLength = 64;
    private const int NewTokens = 64;
    private const int GenerationBatch = 8;

    private CausalLanguageModel model = null!;
    private TokenGenerator generator = null!;
    private Tensor forwardIds = null!;
    private int[] prompt = [];
    private int[][] prompts = [];

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(1);
        var config = new TransformerConfig
        {
            ModelType = "llama",
            HiddenSize = 256,
            IntermediateSize = 688,
            NumHiddenLayers = 4,
            NumAttentionHeads = 8,
            NumKeyValueHeads = 4,
            VocabSize = 2048,
            MaxPositionEmbeddings = 1024,
            RopeTheta = 10000,
        };
        model = CausalLanguageModel.CreateRandom(config, seed: 1);
        model.eval();
        generator = new TokenGenerator(model);

        var random = new Random(2);
        forwardIds = randint(0, config.VocabSize, [ForwardBatch, ForwardLength], ScalarType.Int64);
        prompt = [.. Enumerable.Range(0, PromptLength).Select(_ => random.Next(config.VocabSize))];
        prompts = [.. Enumerable.Range(0, GenerationBatch).Select(_ => Enumerable.Range(0, PromptLength).Select(_ => random.Next(config.VocabSize)).ToArray())];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        forwardIds.Dispose();
        model.Dispose();
    }

    [Benchmark(OperationsPerInvoke = ForwardBatch * ForwardLength, Description = "forward pass, batch 8 x 128 (per token)")]
    public long Forward()
    {
        using var noGrad = no_grad();
        using Tensor logits = model.Forward(forwardIds); // [8, 128, 2048]
        return logits.shape[2];
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = NewTokens, Description = "generate 64, no cache (per token)")]
    public int GenerateWithoutCache() => generator.Generate(prompt, Options(useCache: false)).TokenIds.Count;

    [Benchmark(OperationsPerInvoke = NewTokens, Description = "generate 64, KV cache (per token)")]
    public int GenerateWithCache() => generator.Generate(prompt, Options(useCache: true)).TokenIds.Count;

    [Benchmark(OperationsPerInvoke = GenerationBatch * NewTokens, Description = "generate 64, KV cache, batch 8 (per token)")]
    public int GenerateBatchWithCache() => generator.GenerateBatch(prompts, Options(useCache: true)).Sum(r => r.TokenIds.Count);

    // No eos, so every run produces exactly 64 tokens whatever the random weights predict.
    private static GenerationOptions Options(bool useCache) => new() { MaxNewTokens = NewTokens, EosTokenIds = [], UseCache = useCache };
}
