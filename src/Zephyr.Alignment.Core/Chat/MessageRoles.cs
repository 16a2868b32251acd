using System.Diagnostics.CodeAnalysis;

namespace Zephyr.Alignment.Chat;

/// <summary>Conversions between <see cref="MessageRole"/> and the role strings of Hugging Face datasets.</summary>
public static class MessageRoles
{
    /// <summary>The dataset spelling of <paramref name="role"/>: <c>system</c>, <c>user</c> or <c>assistant</c>.</summary>
    public static string ToWireName(this MessageRole role) => role switch
    {
        MessageRole.System => "system",
        MessageRole.User => "user",
        MessageRole.Assistant => "assistant",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown message role."),
    };

    /// <summary>Parses a dataset role string (case-insensitive).</summary>
    /// <returns><see langword="false"/> for a role this library does not know (e.g. <c>tool</c>).</returns>
    public static bool TryParse([NotNullWhen(true)] string? value, out MessageRole role)
    {
        switch (value?.Trim().ToLowerInvariant())
        {
            case "system":
                role = MessageRole.System;
                return true;
            case "user":
            case "human":
                role = MessageRole.User;
                return true;
            case "assistant":
            case "gpt":
                role = MessageRole.Assistant;
                return true;
            default:
                role = default;
                return false;
        }
    }
}
