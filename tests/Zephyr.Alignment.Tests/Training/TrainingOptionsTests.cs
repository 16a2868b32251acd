using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Tests.Training;

public sealed class TrainingOptionsTests
{
    [Fact]
    public void Defaults_are_valid_and_follow_the_recipe()
    {
        var options = new TrainingOptions();
        Assert.True(new TrainingOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal(LrSchedulerTypes.Cosine, options.LrSchedulerType);
        Assert.Equal(0.1, options.WarmupRatio);
        Assert.Equal(1.0, options.NumTrainEpochs);
        Assert.Equal(42, options.Seed);
        Assert.Equal(0.0, options.WeightDecay);
        Assert.Equal(1.0, options.MaxGradNorm);
    }

    [Fact]
    public void Every_invalid_value_is_reported_at_once_with_its_name_and_value()
    {
        var options = new TrainingOptions
        {
            OutputDirectory = " ",
            LearningRate = -0.5,
            LrSchedulerType = "polynomial",
            WarmupRatio = 1.5,
            WarmupSteps = -3,
            NumTrainEpochs = 0,
            PerDeviceTrainBatchSize = 0,
            PerDeviceEvalBatchSize = -1,
            GradientAccumulationSteps = 0,
            MaxGradNorm = double.NaN,
            WeightDecay = -0.01,
            AdamBeta1 = 1.0,
            AdamBeta2 = -0.1,
            AdamEpsilon = -1e-8,
            Seed = -7,
            LoggingSteps = 0,
            EvalSteps = -2,
            SaveSteps = -4,
            SaveTotalLimit = -5,
            ResumeFromCheckpoint = "",
        };

        ValidateOptionsResult result = new TrainingOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        string[] expected =
        [
            "OutputDirectory", "LearningRate must be a finite number > 0; got -0.5", "'polynomial'", "WarmupRatio must be in [0, 1]; got 1.5",
            "WarmupSteps must be >= 0; got -3", "NumTrainEpochs", "PerDeviceTrainBatchSize must be >= 1; got 0",
            "PerDeviceEvalBatchSize must be >= 1; got -1", "GradientAccumulationSteps must be >= 1; got 0", "MaxGradNorm", "got NaN",
            "WeightDecay must be a finite number >= 0; got -0.01", "AdamBeta1 must be in [0, 1); got 1", "AdamBeta2 must be in [0, 1); got -0.1",
            "AdamEpsilon", "Seed must be >= 0; got -7", "LoggingSteps must be >= 1; got 0", "EvalSteps must be >= 0", "got -2",
            "SaveSteps must be >= 0", "got -4", "SaveTotalLimit must be >= 0", "got -5", "ResumeFromCheckpoint",
        ];
        foreach (string text in expected)
        {
            Assert.Contains(result.Failures!, f => f.Contains(text, StringComparison.Ordinal));
        }

        Assert.Equal(20, result.Failures!.Count());
    }

    [Fact]
    public void Epochs_are_not_checked_when_max_steps_is_set()
    {
        var options = new TrainingOptions { NumTrainEpochs = 0, MaxSteps = 10 };
        Assert.True(new TrainingOptionsValidator().Validate(null, options).Succeeded);
    }

    [Fact]
    public void Options_bind_from_configuration_and_are_validated_by_the_options_pipeline()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Training:LearningRate"] = "2e-5",
                ["Training:LrSchedulerType"] = "constant_with_warmup",
                ["Training:GradientAccumulationSteps"] = "0",
                ["Training:ResumeFromCheckpoint"] = "latest",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddOptions<TrainingOptions>().Bind(configuration.GetSection("Training"));
        services.AddSingleton<IValidateOptions<TrainingOptions>, TrainingOptionsValidator>();
        using ServiceProvider provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IOptions<TrainingOptions>>().Value);

        Assert.Equal("GradientAccumulationSteps must be >= 1; got 0.", Assert.Single(error.Failures));
        configuration["Training:GradientAccumulationSteps"] = "4";
        using ServiceProvider fixedProvider = services.BuildServiceProvider();
        TrainingOptions bound = fixedProvider.GetRequiredService<IOptions<TrainingOptions>>().Value;
        Assert.Equal(2e-5, bound.LearningRate);
        Assert.Equal(LrSchedulerTypes.ConstantWithWarmup, bound.LrSchedulerType);
        Assert.Equal(4, bound.GradientAccumulationSteps);
        Assert.Equal("latest", bound.ResumeFromCheckpoint);
    }
}
