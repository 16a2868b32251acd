using Zephyr.Alignment.Data;

namespace Zephyr.Alignment.Aif.Running;

/// <summary>Reads the prompts of an AIF run.</summary>
public static class PromptFile
{
    private static readonly DatasetColumn[] Columns = [new("prompt", DatasetColumnKind.String), new("prompt_id", DatasetColumnKind.String, Required: false)];

    /// <summary>
    /// Reads JSON Lines of <c>{"prompt": "...", "prompt_id": "..."}</c> (the id optional) or Parquet with a
    /// <c>prompt</c> column (and optionally <c>prompt_id</c>), such as UltraFeedback's. Other fields are ignored.
    /// A missing id is the SHA-256 of the prompt, as the Hub derives it.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <param name="maxPrompts">Stop after this many prompts; null for all.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <exception cref="DatasetFormatException">A row has no prompt, an empty one, or an id already used (naming the file and line or row).</exception>
    public static async Task<IReadOnlyList<AifPrompt>> ReadAsync(string path, int? maxPrompts = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The prompts file '{path}' does not exist.", path);
        }

        var prompts = new List<AifPrompt>();
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (DatasetRecord record in DatasetReader.ReadAsync(path, new DatasetReadOptions { Columns = Columns }, cancellationToken).ConfigureAwait(false))
        {
            if (record.Error is { } error)
            {
                throw error;
            }

            if (record.GetKind("prompt") != DatasetValueKind.String)
            {
                throw record.CreateError("'prompt' must be a string", "prompt");
            }

            string prompt = record.GetString("prompt");
            if (string.IsNullOrWhiteSpace(prompt))
            {
                throw record.CreateError("'prompt' is empty", "prompt");
            }

            string id = record.GetOptionalString("prompt_id") is { Length: > 0 } given ? given : PromptIds.FromPrompt(prompt);
            if (!seen.TryAdd(id, record.Location))
            {
                throw record.CreateError($"prompt_id '{id}' was already used at {seen[id]} (a repeated prompt); each prompt must appear once", "prompt_id");
            }

            prompts.Add(new AifPrompt(prompts.Count, id, prompt));
            if (prompts.Count == maxPrompts)
            {
                break;
            }
        }

        return prompts;
    }
}
