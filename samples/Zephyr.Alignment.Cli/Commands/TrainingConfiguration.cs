using Microsoft.Extensions.Configuration;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>
/// The configuration of a training command: a JSON file, then <c>--key value</c> overrides from the command line.
/// Keys match option names ignoring case, underscores and hyphens, so TRL spellings (<c>learning_rate</c>,
/// <c>--max-length</c>) and ours (<c>LearningRate</c>) both work; an unknown key is an error, not a silent no-op.
/// </summary>
internal static class TrainingConfiguration
{
    public static IConfiguration Load(FileInfo file, IReadOnlyList<string> overrides)
    {
        if (!file.Exists)
        {
            throw new CliInputException($"config file '{file.FullName}' does not exist");
        }

        IConfigurationRoot raw;
        try
        {
            raw = new ConfigurationBuilder()
                .AddJsonFile(file.FullName, optional: false, reloadOnChange: false)
                .AddCommandLine(overrides.ToArray())
                .Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            throw new CliInputException($"{file.Name}: {e.Message}", e);
        }

        var normalized = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach ((string key, string? value) in raw.AsEnumerable())
        {
            if (value is not null)
            {
                normalized[Normalize(key)] = value;
            }
        }

        return new ConfigurationBuilder().AddInMemoryCollection(normalized).Build();
    }

    /// <summary>Binds <paramref name="configuration"/> onto <paramref name="options"/>, rejecting unknown keys and bad values.</summary>
    public static T Bind<T>(IConfiguration configuration, T options, string file)
        where T : class
    {
        try
        {
            configuration.Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
            return options;
        }
        catch (InvalidOperationException e)
        {
            throw new CliInputException($"{file}: {e.Message}", e);
        }
    }

    private static string Normalize(string key)
        => string.Join(':', key.Split(':').Select(part => part.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal)));
}
