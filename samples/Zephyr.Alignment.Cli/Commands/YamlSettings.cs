using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Zephyr.Alignment.Cli.Commands;

/// <summary>
/// Reads a YAML config file (the alignment-handbook's recipe format) into configuration keys, as the JSON provider
/// does: nested mappings become <c>parent:child</c>, sequences <c>key:0</c>, <c>key:1</c>; scalars stay text.
/// </summary>
internal static class YamlSettings
{
    public static List<KeyValuePair<string, string?>> Read(FileInfo file)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(file.FullName);
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new CliInputException($"{file.Name}: line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }

        var values = new List<KeyValuePair<string, string?>>();
        if (stream.Documents.Count == 0)
        {
            return values;
        }

        if (stream.Documents.Count > 1)
        {
            throw new CliInputException($"{file.Name}: holds {stream.Documents.Count} YAML documents; a config file is one.");
        }

        if (stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new CliInputException($"{file.Name}: line {stream.Documents[0].RootNode.Start.Line}: the top level must be a mapping of option names to values.");
        }

        Flatten(file, root, prefix: null, values);
        return values;
    }

    private static void Flatten(FileInfo file, YamlNode node, string? prefix, List<KeyValuePair<string, string?>> values)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (keyNode, value) in mapping.Children)
                {
                    if (keyNode is not YamlScalarNode { Value: { } key })
                    {
                        throw new CliInputException($"{file.Name}: line {keyNode.Start.Line}: a key must be plain text.");
                    }

                    Flatten(file, value, prefix is null ? key : $"{prefix}:{key}", values);
                }

                break;
            case YamlSequenceNode sequence:
                for (int i = 0; i < sequence.Children.Count; i++)
                {
                    Flatten(file, sequence.Children[i], string.Create(CultureInfo.InvariantCulture, $"{prefix}:{i}"), values);
                }

                break;
            case YamlScalarNode scalar:
                // YAML's null (~, null, empty) stays null, so "torch_dtype: null" means "not set".
                bool isNull = scalar.Style == ScalarStyle.Plain && scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";
                values.Add(new(prefix!, isNull ? null : scalar.Value));
                break;
            default:
                throw new CliInputException($"{file.Name}: line {node.Start.Line}: unsupported YAML node ({node.NodeType}).");
        }
    }
}
