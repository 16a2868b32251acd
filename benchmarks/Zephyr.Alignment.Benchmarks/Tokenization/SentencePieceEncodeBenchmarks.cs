using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.ML.Tokenizers;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Benchmarks.Tokenization;

/// <summary>
/// Encoding throughput of our SentencePiece BPE (which fixes the space-run merge order) against
/// Microsoft.ML.Tokenizers' LlamaTokenizer on the same model and text. The ratio is what matters: ours must
/// not be the bottleneck of data preparation.
/// </summary>
[InProcess]
[MemoryDiagnoser]
public class SentencePieceEncodeBenchmarks
{
    private SentencePieceBpeModel ours = null!;
    private LlamaTokenizer library = null!;
    private string text = string.Empty;

    [GlobalSetup]
    public void Setup()
    {
        string folder = Path.Combine(AppContext.BaseDirectory, "Fixtures", "spm-tiny");
        string model = Path.Combine(folder, "tokenizer.model");
        ours = SentencePieceBpeModel.FromFile(model);
        using FileStream stream = File.OpenRead(model);
        library = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);

        // About 64 KB of the fixture's own strings (prose, code, numbers, accents, CJK, emoji), concatenated.
        using JsonDocument cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "cases.json")));
        var builder = new StringBuilder();
        while (builder.Length < 64 * 1024)
        {
            foreach (JsonElement c in cases.RootElement.GetProperty("cases").EnumerateArray())
            {
                builder.Append(c.GetProperty("text").GetString()).Append(' ');
            }
        }

        text = builder.ToString();
    }

    [Benchmark(Baseline = true, Description = "Microsoft.ML.Tokenizers LlamaTokenizer")]
    public int Library() => library.EncodeToIds(text).Count;

    [Benchmark(Description = "Zephyr SentencePieceBpeModel")]
    public int Ours() => ours.Encode(text).Count;
}
