using System.Security.Cryptography;
using System.Text;

namespace Zephyr.Alignment.Aif;

/// <summary>Prompt ids as the Hugging Face datasets derive them.</summary>
public static class PromptIds
{
    /// <summary>
    /// The lowercase hex SHA-256 of the prompt's UTF-8 bytes, as <c>ultrafeedback_binarized</c> and
    /// <c>ultrachat_200k</c> compute <c>prompt_id</c> (<c>hashlib.sha256(prompt.encode("utf-8")).hexdigest()</c>).
    /// </summary>
    /// <param name="prompt">The prompt text, exactly as stored (no trimming).</param>
    public static string FromPrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(prompt)));
    }
}
