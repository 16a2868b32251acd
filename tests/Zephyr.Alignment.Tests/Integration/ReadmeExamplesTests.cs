using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Zephyr.Alignment.Chat;
using Zephyr.Alignment.Models;
using Zephyr.Alignment.Models.Generation;
using Zephyr.Alignment.Tests.Infrastructure;
using Zephyr.Alignment.Tokenization;

namespace Zephyr.Alignment.Tests.Integration;

/// <summary>The README's two code examples, run against the fixtures so the README cannot drift from the API.</summary>
public sealed class ReadmeExamplesTests
{
    [Fact]
    public void Chat_with_a_checkpoint()
    {
        string folder = TestPaths.Fixture("tiny-llama");
        ITokenizer tokenizer = HuggingFaceTokenizer.FromFolder(folder);
        using CausalLanguageModel model = PretrainedModel.Load(folder, new ModelLoadOptions { DType = TorchSharp.torch.ScalarType.BFloat16 });
        TokenizedChat prompt = tokenizer.EncodeChat(
            ChatTemplateRecognizer.FromTokenizerConfig(folder), [ConversationMessage.User("Write a haiku about .NET")], addGenerationPrompt: true);
        GenerationResult answer = new TokenGenerator(model, tokenizer).Generate(prompt.InputIds, new GenerationOptions { MaxNewTokens = 8 });
        string text = tokenizer.Decode(answer.TokenIds, skipSpecialTokens: true);

        Assert.InRange(answer.TokenIds.Count, 1, 8);
        Assert.DoesNotContain("</s>", text, StringComparison.Ordinal); // special tokens left out, as the README prints it
        Assert.EndsWith("<|assistant|>\n", prompt.Rendered.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_dDPO_through_dependency_injection()
    {
        using var output = new TempDirectory();
        var services = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Warning));
        services.AddZephyrAlignment(device => { device.Device = "cpu"; device.DType = "float32"; })
            .AddHuggingFaceModels()
            .AddDpo(dpo =>
            {
                dpo.ModelPath = TestPaths.Fixture("tiny-llama");
                dpo.TrainFile = TestPaths.Fixture("data", "prefs.jsonl");
                dpo.OutputDirectory = output.Path;
                dpo.MaxSteps = 1;
                dpo.MaxLength = 128;
                dpo.MaxPromptLength = 64;
            });
        await using ServiceProvider provider = services.BuildServiceProvider();
        TrainingResult result = await provider.GetRequiredService<ITrainer>().TrainAsync();

        Assert.Equal(1, result.GlobalStep);
        Assert.True(File.Exists(Path.Combine(output.Path, "model.safetensors")));
    }
}
