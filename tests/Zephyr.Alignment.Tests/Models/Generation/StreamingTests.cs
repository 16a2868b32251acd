using Zephyr.Alignment.Models.Generation;

namespace Zephyr.Alignment.Tests.Models.Generation;

/// <summary>Streaming yields, one by one, the ids <see cref="TokenGenerator.Generate"/> returns.</summary>
public sealed class StreamingTests
{
    public static TheoryData<double, bool> Modes => new() { { 0, true }, { 0, false }, { 1.3, true } };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Streaming_yields_the_same_ids_as_generate(double temperature, bool stopAtEos)
    {
        using var model = ModelFixtures.Load("tiny-mistral");
        var generator = new TokenGenerator(model);
        GenerationFixtures.GreedyItem item = GenerationFixtures.GreedyItems("tiny-mistral")[0]; // meets eos at index 9
        var options = new GenerationOptions { MaxNewTokens = 16, Temperature = temperature, Seed = 8, EosTokenIds = stopAtEos ? null : [] };

        GenerationResult expected = generator.Generate(item.PromptIds, options);
        var streamed = new List<int>();
        await foreach (int id in generator.StreamAsync(item.PromptIds, options))
        {
            streamed.Add(id);
        }

        Assert.Equal(expected.TokenIds, streamed);
        if (temperature == 0)
        {
            Assert.Equal(stopAtEos ? item.NewIds[..10] : item.NewIds, streamed);
        }
    }

    [Fact]
    public async Task Cancelling_a_stream_throws_after_the_ids_already_yielded()
    {
        using var model = ModelFixtures.Load("tiny-mistral");
        GenerationFixtures.GreedyItem item = GenerationFixtures.GreedyItems("tiny-mistral")[1];
        using var cancellation = new CancellationTokenSource();
        var streamed = new List<int>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (int id in new TokenGenerator(model).StreamAsync(item.PromptIds, new GenerationOptions { MaxNewTokens = 16 }, cancellation.Token))
            {
                streamed.Add(id);
                if (streamed.Count == 4)
                {
                    await cancellation.CancelAsync();
                }
            }
        });

        Assert.Equal(item.NewIds[..4], streamed);
    }

    [Fact]
    public async Task Leaving_a_stream_early_restores_the_model_mode()
    {
        using var model = ModelFixtures.Load("tiny-mistral");
        model.train();
        await foreach (int id in new TokenGenerator(model).StreamAsync(GenerationFixtures.GreedyItems("tiny-mistral")[1].PromptIds, new GenerationOptions()))
        {
            Assert.False(model.training);
            break;
        }

        Assert.True(model.training);
    }

    [Fact]
    public void Bad_arguments_are_rejected_when_the_stream_is_created_not_when_it_is_enumerated()
    {
        using var model = ModelFixtures.Load("tiny-mistral");
        var generator = new TokenGenerator(model);
        Assert.Throws<ArgumentException>(() => generator.StreamAsync([1, 2], new GenerationOptions { TopP = 0 }));
        Assert.Throws<ArgumentException>(() => generator.StreamAsync([], new GenerationOptions()));
    }
}
