using System.Collections;
using Microsoft.Extensions.Configuration;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>
/// The configuration of a training command: a JSON or YAML file (the alignment-handbook's recipes as published), then
/// <c>--key value</c> overrides from the command line. Keys match option names ignoring case, underscores and hyphens,
/// so TRL spellings (<c>learning_rate</c>, <c>--max-length</c>) and ours (<c>LearningRate</c>) both work, and
/// <see cref="RecipeKeys"/> maps the handbook's own names (<c>model_name_or_path</c>, <c>dataset_mixer</c>, ...).
/// An unknown key is an error, not a silent no-op; a bad value names where it came from (the file or the command line).
/// </summary>
internal sealed class TrainingConfiguration
{
    /// <summary>Configuration keys that choose the policy's device rather than a trainer option.</summary>
    private static readonly string[] DeviceKeys = ["device", "dtype", "allowcpufallback"];

    private readonly Dictionary<string, string?> file;
    private readonly Dictionary<string, string?> commandLine;

    private readonly bool separateDeviceKeys;

    private TrainingConfiguration(string fileName, Dictionary<string, string?> file, Dictionary<string, string?> commandLine, List<string> warnings, bool separateDeviceKeys)
    {
        this.separateDeviceKeys = separateDeviceKeys;
        FileName = fileName;
        this.file = file;
        this.commandLine = commandLine;
        Warnings = warnings;
    }

    /// <summary>The config file's name, for messages.</summary>
    public string FileName { get; }

    /// <summary>Keys accepted without effect here (Hub upload, logging backends, ...), one message each, for the log at Warning.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>Reads the file and the overrides and maps recipe keys onto the options of <paramref name="optionsType"/>.</summary>
    /// <param name="configFile">The JSON or YAML file.</param>
    /// <param name="overrides">The <c>--key value</c> tokens.</param>
    /// <param name="datasets">The <c>--dataset ID[:SPLIT]=PATH</c> mappings of Hub dataset names to local files.</param>
    /// <param name="optionsType">The stage's options class.</param>
    /// <param name="recipeKeys">Map TRL / alignment-handbook recipe keys (training stages); false keeps to the option names (other stages).</param>
    public static TrainingConfiguration Load(FileInfo configFile, IReadOnlyList<string> overrides, IReadOnlyList<string> datasets, Type optionsType, bool recipeKeys = true)
    {
        if (!configFile.Exists)
        {
            throw new CliInputException($"config file '{configFile.FullName}' does not exist");
        }

        List<KeyValuePair<string, string?>> raw = IsYaml(configFile) ? YamlSettings.Read(configFile) : ReadJson(configFile);
        IEnumerable<KeyValuePair<string, string?>> cliRaw;
        try
        {
            cliRaw = new ConfigurationBuilder().AddCommandLine([.. overrides]).Build().AsEnumerable();
        }
        catch (FormatException e)
        {
            throw new CliInputException($"command line: {e.Message}", e);
        }

        var warnings = new List<string>();
        var recipe = new RecipeKeys(optionsType, DatasetMapping.Parse(datasets), warnings, recipeKeys);
        Dictionary<string, string?> fromFile = recipe.Translate(raw, configFile.Name);
        Dictionary<string, string?> fromCommandLine = recipe.Translate([.. cliRaw.Where(p => p.Value is not null)], "command line");

        // A scalar or list of scalars given on the command line (loss_type, loss_type:0) replaces the file's whole list
        // (the binder would append to a list already bound); nested keys (Generators:1:Samples) override one by one.
        foreach (string top in fromCommandLine.Keys.Where(IsScalarOrListItem).Select(TopKey).Distinct(StringComparer.OrdinalIgnoreCase).ToList())
        {
            foreach (string key in fromFile.Keys.Where(k => IsScalarOrListItem(k) && string.Equals(TopKey(k), top, StringComparison.OrdinalIgnoreCase)).ToList())
            {
                fromFile.Remove(key);
            }
        }

        recipe.ResolveDatasets(fromFile, fromCommandLine, configFile.Name);
        ScalarsToLists(fromFile, optionsType);
        ScalarsToLists(fromCommandLine, optionsType);
        return new TrainingConfiguration(configFile.Name, fromFile, fromCommandLine, warnings, separateDeviceKeys: recipeKeys);
    }

    /// <summary>Binds the stage's (or, with <paramref name="device"/>, the device's) keys onto <paramref name="options"/>: the file's, then the command line's.</summary>
    public T Bind<T>(T options, bool device)
        where T : class, new()
    {
        // One pass over the merged keys: binding the command line second would append to lists the file filled.
        Dictionary<string, string?> fileValues = Select(file, device);
        var merged = new Dictionary<string, string?>(fileValues, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in Select(commandLine, device))
        {
            merged[key] = value;
        }

        try
        {
            Bind(options, merged, FileName);
        }
        catch (CliInputException)
        {
            // Say where the bad value is: the file alone binds, so it came from the command line.
            Bind(new T(), fileValues, FileName);
            Bind(new T(), merged, "command line");
            throw;
        }

        return options;
    }

    /// <summary>Says where an option named at the start of a validation message was set, when it was set.</summary>
    public string Annotate(string failure)
    {
        string option = new(failure.TakeWhile(char.IsLetterOrDigit).ToArray());
        string key = option.ToLowerInvariant();
        if (commandLine.Keys.Any(k => string.Equals(TopKey(k), key, StringComparison.OrdinalIgnoreCase)))
        {
            return $"command line: {failure}";
        }

        return file.Keys.Any(k => string.Equals(TopKey(k), key, StringComparison.OrdinalIgnoreCase)) ? $"{FileName}: {failure}" : failure;
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

    /// <summary>A key without underscores or hyphens, per segment (<c>learning_rate</c> → <c>learningrate</c>).</summary>
    public static string Normalize(string key)
        => string.Join(':', key.Split(':').Select(part => part.Replace("_", string.Empty, StringComparison.Ordinal).Replace("-", string.Empty, StringComparison.Ordinal)));

    public static string TopKey(string key) => key.Split(':')[0];

    private static bool IsScalarOrListItem(string key)
    {
        string[] parts = key.Split(':');
        return parts.Length == 1 || (parts.Length == 2 && parts[1].All(char.IsAsciiDigit));
    }

    private static void Bind<T>(T options, Dictionary<string, string?> values, string origin)
        where T : class
    {
        if (values.Count == 0)
        {
            return;
        }

        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        try
        {
            configuration.Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e) when (e.Message.Contains("ErrorOnUnknownConfiguration", StringComparison.Ordinal))
        {
            // The binder lists the unknown keys after the last colon; say it in the user's terms.
            string keys = e.Message[(e.Message.LastIndexOf(':') + 1)..].Trim();
            throw new CliInputException($"{origin}: unknown option(s) {keys}", e);
        }
        catch (InvalidOperationException e)
        {
            // The inner converter message ends with " (Parameter 'value')", which means nothing at a shell prompt.
            string detail = e.InnerException is ArgumentException { ParamName: { } name } inner
                ? $"{e.Message} {inner.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal)}"
                : e.InnerException is { } other ? $"{e.Message} {other.Message}" : e.Message;
            throw new CliInputException($"{origin}: {detail}", e);
        }
    }

    private Dictionary<string, string?> Select(Dictionary<string, string?> values, bool device)
        => values.Where(p => separateDeviceKeys ? DeviceKeys.Contains(TopKey(p.Key), StringComparer.OrdinalIgnoreCase) == device : !device)
            .ToDictionary(p => p.Key, p => p.Value, StringComparer.OrdinalIgnoreCase);

    private static void ScalarsToLists(Dictionary<string, string?> values, Type optionsType)
    {
        // TRL accepts one value for a list option ("loss_type: ipo", "--lora_target_modules all-linear"), or several
        // separated by commas; the binder would not bind a scalar to a list.
        foreach (System.Reflection.PropertyInfo property in optionsType.GetProperties())
        {
            bool isList = property.PropertyType != typeof(string) && typeof(IEnumerable).IsAssignableFrom(property.PropertyType)
                && !typeof(IDictionary).IsAssignableFrom(property.PropertyType);
            if (isList && values.Remove(property.Name, out string? scalar))
            {
                string[] items = scalar?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
                for (int i = 0; i < items.Length; i++)
                {
                    values[string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{property.Name}:{i}")] = items[i];
                }
            }
        }
    }

    private static bool IsYaml(FileInfo file)
        => file.Extension.Equals(".yaml", StringComparison.OrdinalIgnoreCase) || file.Extension.Equals(".yml", StringComparison.OrdinalIgnoreCase);

    private static List<KeyValuePair<string, string?>> ReadJson(FileInfo configFile)
    {
        try
        {
            return [.. new ConfigurationBuilder().AddJsonFile(configFile.FullName, optional: false, reloadOnChange: false).Build().AsEnumerable().Where(p => p.Value is not null)];
        }
        catch (Exception e) when (e is FormatException or InvalidDataException)
        {
            // The JSON reader's own message (line and byte position) is on the inner exception.
            string detail = e.InnerException is { } inner ? $"{e.Message} {inner.Message}" : e.Message;
            throw new CliInputException($"{configFile.Name}: {detail}", e);
        }
    }
}
