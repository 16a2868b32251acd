using Zephyr.Alignment.Models.Generation;

namespace Zephyr.Alignment.Tests.Models.Generation;

/// <summary>Bad options and prompts fail before any model work, with messages naming the option and value.</summary>
public sealed class GenerationOptionsTests
{
    public static TheoryData<string, string> BadOptions => new()
    {
        { nameof(GenerationOptions.MaxNewTokens), "0" },
        { nameof(GenerationOptions.Temperature), "-0.5" },
        { nameof(GenerationOptions.Temperature), "NaN" },
        { nameof(GenerationOptions.Temperature), "Infinity" },
        { nameof(GenerationOptions.TopK), "-1" },
        { nameof(GenerationOptions.TopP), "0" },
        { nameof(GenerationOptions.TopP), "1.5" },
        { nameof(GenerationOptions.RepetitionPenalty), "0" },
        { nameof(GenerationOptions.RepetitionPenalty), "-1" },
        { nameof(GenerationOptions.EosTokenIds), "-2" },
        { nameof(GenerationOptions.StopStrings), "" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void A_bad_option_is_rejected_naming_it_and_its_value(string option, string value)
    {
        GenerationOptions options = With(option, value);
        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(option, error.ParamName);
        Assert.Contains(option, error.Message, StringComparison.Ordinal);
        Assert.Contains(value, error.Message, StringComparison.Ordinal);

        using var model = ModelFixtures.Load("tiny-llama");
        Assert.Equal(option, Assert.Throws<ArgumentException>(() => new TokenGenerator(model).Generate([1, 2], options)).ParamName);
    }

    [Fact]
    public void The_defaults_are_valid_and_greedy()
    {
        var options = new GenerationOptions();
        options.Validate();
        Assert.False(options.IsSampling);
        Assert.Equal(128, options.MaxNewTokens);
        Assert.True(options.UseCache);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var options = new GenerationOptions { MaxNewTokens = -3, TopK = -1, TopP = 2 };
        ArgumentException error = Assert.Throws<ArgumentException>(options.Validate);
        Assert.Equal(nameof(GenerationOptions.MaxNewTokens), error.ParamName);
        Assert.Contains("TopK", error.Message, StringComparison.Ordinal);
        Assert.Contains("TopP", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Stop_strings_without_a_tokenizer_are_rejected()
    {
        using var model = ModelFixtures.Load("tiny-llama");
        ArgumentException error = Assert.Throws<ArgumentException>(
            () => new TokenGenerator(model).Generate([1, 2], new GenerationOptions { StopStrings = ["\n"] }));
        Assert.Equal("options", error.ParamName);
        Assert.Contains(nameof(GenerationOptions.StopStrings), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_prompts_are_rejected_naming_the_prompt_and_the_id()
    {
        using var model = ModelFixtures.Load("tiny-llama");
        var generator = new TokenGenerator(model);
        var options = new GenerationOptions();

        Assert.Throws<ArgumentNullException>(() => generator.Generate(null!, options));
        Assert.Throws<ArgumentNullException>(() => generator.Generate([1], null!));
        Assert.Contains("empty", Assert.Throws<ArgumentException>(() => generator.Generate([], options)).Message, StringComparison.Ordinal);
        Assert.Contains("At least one prompt", Assert.Throws<ArgumentException>(() => generator.GenerateBatch([], options)).Message, StringComparison.Ordinal);
        ArgumentException outside = Assert.Throws<ArgumentException>(() => generator.GenerateBatch([[1, 2], [1, 512]], options));
        Assert.Contains("Prompt 1 has token id 512", outside.Message, StringComparison.Ordinal);
        Assert.Contains("Prompt 0 has token id -1", Assert.Throws<ArgumentException>(() => generator.Generate([-1], options)).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => new TokenGenerator(null!));
    }

    private static GenerationOptions With(string option, string value)
    {
        var options = new GenerationOptions();
        double number = value.Length == 0 ? 0 : double.Parse(value, System.Globalization.CultureInfo.InvariantCulture);
        switch (option)
        {
            case nameof(GenerationOptions.MaxNewTokens): options.MaxNewTokens = (int)number; break;
            case nameof(GenerationOptions.Temperature): options.Temperature = number; break;
            case nameof(GenerationOptions.TopK): options.TopK = (int)number; break;
            case nameof(GenerationOptions.TopP): options.TopP = number; break;
            case nameof(GenerationOptions.RepetitionPenalty): options.RepetitionPenalty = number; break;
            case nameof(GenerationOptions.EosTokenIds): options.EosTokenIds = [2, (int)number]; break;
            case nameof(GenerationOptions.StopStrings): options.StopStrings = ["ok", value]; break;
            default: throw new ArgumentOutOfRangeException(nameof(option), option, null);
        }

        return options;
    }
}
