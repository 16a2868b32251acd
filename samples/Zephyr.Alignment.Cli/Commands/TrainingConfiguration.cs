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
            // The JSON reader's own message (line and byte position) is on the inner exception.
            string detail = e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;
            throw new CliInputException($"{file.Name}: {detail}", e);
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
        catch (InvalidOperationException e) when (e.Message.Contains("ErrorOnUnknownConfiguration", StringComparison.Ordinal))
        {
            // The binder lists the unknown keys after the last colon; say it in the user's terms.
            string keys = e.Message[(e.Message.LastIndexOf(':') + 1)..].Trim();
            throw new CliInputException($"{file}: unknown option(s) {keys}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new CliInputException($"{file}: {e.Message}", e);
        }
    }

    /// <summary>Copies every public settable property of <paramref name="source"/> onto <paramref name="target"/>.</summary>
    /// <remarks>DI builds its own options instance; this hands it the values bound and path-resolved here.</remarks>
    public static void CopyInto<T>(T source, T target)
        where T : class
    {
        foreach (System.Reflection.PropertyInfo property in typeof(T).GetProperties())
        {
            if (property.CanRead && property.CanWrite && property.GetIndexParameters().Length == 0)
            {
                property.SetValue(target, property.GetValue(source));
            }
        }
    }

    /// <summary>TRL / <c>TrainingArguments</c> names that differ from ours by more than case and underscores, normalized.</summary>
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.OrdinalIgnoreCase)
    {
        ["outputdir"] = "outputdirectory",
        ["overwriteoutputdir"] = "overwriteoutputdirectory",
    };

    private static string Normalize(string key)
    {
        string normalized = string.Join(':', key.Split(':').Select(part => part.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal)));
        return Aliases.GetValueOrDefault(normalized, normalized);
    }
}
