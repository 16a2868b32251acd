using System.Text.Json;
using System.Text.Json.Serialization;

namespace Zephyr.Alignment.Models;

/// <summary>
/// Reads a token id written either as one integer (<c>"eos_token_id": 2</c>) or as a list (Llama 3:
/// <c>[128001, 128009]</c>), and writes one id back as an integer, as <c>transformers</c> does.
/// </summary>
internal sealed class TokenIdListConverter : JsonConverter<IReadOnlyList<int>>
{
    public override IReadOnlyList<int> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return [reader.GetInt32()];
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException("A token id must be an integer or a list of integers.");
        }

        var ids = new List<int>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.Number)
            {
                throw new JsonException("A token id list must hold only integers.");
            }

            ids.Add(reader.GetInt32());
        }

        return ids;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<int> value, JsonSerializerOptions options)
    {
        if (value.Count == 1)
        {
            writer.WriteNumberValue(value[0]);
            return;
        }

        writer.WriteStartArray();
        foreach (int id in value)
        {
            writer.WriteNumberValue(id);
        }

        writer.WriteEndArray();
    }
}
