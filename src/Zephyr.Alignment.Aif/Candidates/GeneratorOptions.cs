namespace Zephyr.Alignment.Aif.Candidates;

/// <summary>
/// One configured generator: a local checkpoint (<see cref="ModelPath"/>) or an OpenAI-compatible endpoint
/// (<see cref="Endpoint"/> + <see cref="Model"/>), with its own sampling settings.
/// </summary>
public sealed class GeneratorOptions
{
    /// <summary>The generator's name, recorded with each completion; unique within a run. Required.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>A Hugging Face checkpoint folder, run through our own generation with its chat template. Exclusive with <see cref="Endpoint"/>.</summary>
    public string? ModelPath { get; set; }

    /// <summary>The base URL of an OpenAI-compatible API (e.g. <c>http://127.0.0.1:8000/v1</c>: vLLM, TGI, Ollama, <c>zephyr serve</c>). Exclusive with <see cref="ModelPath"/>.</summary>
    public string? Endpoint { get; set; }

    /// <summary>The model name sent to <see cref="Endpoint"/>; for a local checkpoint, the id it reports (default: <see cref="Name"/>).</summary>
    public string? Model { get; set; }

    /// <summary>
    /// The environment variable that holds the endpoint's API key. Default null: <c>OPENAI_API_KEY</c>. The key is
    /// read at start-up and never written anywhere.
    /// </summary>
    public string? ApiKeyVariable { get; set; }

    /// <summary>Sampling temperature. Default 0.7; 0 is greedy.</summary>
    public double Temperature { get; set; } = 0.7;

    /// <summary>Nucleus sampling threshold in (0, 1]. Default 1 (off).</summary>
    public double TopP { get; set; } = 1.0;

    /// <summary>The most tokens per completion. Default 256.</summary>
    public int MaxNewTokens { get; set; } = 256;

    /// <summary>
    /// The seed of this generator's sampling; default null: the run's <c>Seed</c>. Each request's seed is derived
    /// from it, the prompt id and the sample number, so results do not depend on the order prompts run in.
    /// </summary>
    public int? Seed { get; set; }

    /// <summary>How many completions this generator writes per prompt (one generator sampled several times). Default 1.</summary>
    public int Samples { get; set; } = 1;
}
