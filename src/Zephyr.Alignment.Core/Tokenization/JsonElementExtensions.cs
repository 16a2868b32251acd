using System.Text.Json;

namespace Zephyr.Alignment.Tokenization;

/// <summary>Small helpers for reading optional JSON fields.</summary>
internal static class JsonElementExtensions
{
    /// <summary>Whether the element has the given kind (a missing element has kind Undefined).</summary>
    public static bool ValueKindIs(this JsonElement element, JsonValueKind kind) => element.ValueKind == kind;
}
