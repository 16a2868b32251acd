using System.Globalization;

namespace Zephyr.Alignment.Models.Generation;

/// <summary>
/// How <see cref="TokenGenerator"/> extends a prompt. The defaults decode greedily for up to 128 tokens and stop at the
/// model's end-of-sequence ids. Logits go through the processors in Hugging Face's order: repetition penalty, then (when
/// sampling) temperature, top-k, top-p, and a multinomial draw.
/// </summary>
public sealed class GenerationOptions
{
    /// <summary>The most tokens to add to each prompt. Default 128; at least 1.</summary>
    public int MaxNewTokens { get; set; } = 128;

    /// <summary>
    /// Softmax temperature of sampling. Default 0, which means greedy decoding (argmax, no randomness; top-k and top-p
    /// then change nothing). Above 1 flattens the distribution, below 1 sharpens it.
    /// </summary>
    public double Temperature { get; set; }

    /// <summary>Sample only among the <c>k</c> most likely tokens (Fan et al. 2018). Default 0: off.</summary>
    public int TopK { get; set; }

    /// <summary>
    /// Nucleus sampling (Holtzman et al. 2019): sample from the smallest set of most likely tokens whose probability
    /// exceeds <c>p</c>; the most likely token is always kept. Default 1: off. In (0, 1].
    /// </summary>
    public double TopP { get; set; } = 1.0;

    /// <summary>
    /// CTRL's repetition penalty (Keskar et al. 2019) with Hugging Face's rule: the logit of every id already in the prompt
    /// or the generated tokens is divided by the penalty when positive and multiplied by it when negative, so a value
    /// above 1 discourages repeats. Default 1: off. Padding of a batch does not count as a seen id.
    /// </summary>
    public double RepetitionPenalty { get; set; } = 1.0;

    /// <summary>
    /// Seed of the sampler's random generator: the same seed, model, prompts and options give the same tokens.
    /// Default null: a fresh random seed per call. Unused by greedy decoding.
    /// </summary>
    public long? Seed { get; set; }

    /// <summary>
    /// Ids that end a sequence (the id is kept as the last token). Default null: the model config's <c>eos_token_id</c>;
    /// an empty list never stops on end-of-sequence.
    /// </summary>
    public IReadOnlyList<int>? EosTokenIds { get; set; }

    /// <summary>
    /// Texts that end a sequence as soon as the decoded new tokens contain one. Default empty. Needs a tokenizer in the
    /// <see cref="TokenGenerator"/>; the tokens that complete the text stay in the result.
    /// </summary>
    public IReadOnlyList<string> StopStrings { get; set; } = [];

    /// <summary>
    /// Keep the keys and values of earlier positions so each step runs only the new token. Default true; false recomputes
    /// the whole sequence every step, which gives the same tokens far more slowly (for tests and benchmarks).
    /// </summary>
    public bool UseCache { get; set; } = true;

    /// <summary>Whether the options ask for sampling rather than greedy decoding (<see cref="Temperature"/> above 0).</summary>
    public bool IsSampling => Temperature > 0;

    /// <summary>Checks every option and reports all the problems at once.</summary>
    /// <exception cref="ArgumentException">
    /// An option is out of range; the message names each bad option and its value, and <see cref="ArgumentException.ParamName"/> is the first.
    /// </exception>
    public void Validate()
    {
        var problems = new List<(string Name, string Message)>();
        if (MaxNewTokens < 1)
        {
            problems.Add((nameof(MaxNewTokens), $"{nameof(MaxNewTokens)} must be at least 1; got {MaxNewTokens}."));
        }

        if (!double.IsFinite(Temperature) || Temperature < 0)
        {
            problems.Add((nameof(Temperature), $"{nameof(Temperature)} must be 0 (greedy) or a positive finite number; got {Format(Temperature)}."));
        }

        if (TopK < 0)
        {
            problems.Add((nameof(TopK), $"{nameof(TopK)} must be 0 (off) or positive; got {TopK}."));
        }

        if (double.IsNaN(TopP) || TopP <= 0 || TopP > 1)
        {
            problems.Add((nameof(TopP), $"{nameof(TopP)} must be in (0, 1] (1 is off); got {Format(TopP)}."));
        }

        if (!double.IsFinite(RepetitionPenalty) || RepetitionPenalty <= 0)
        {
            problems.Add((nameof(RepetitionPenalty), $"{nameof(RepetitionPenalty)} must be a positive finite number (1 is off); got {Format(RepetitionPenalty)}."));
        }

        if (EosTokenIds is not null && EosTokenIds.Any(id => id < 0))
        {
            problems.Add((nameof(EosTokenIds), $"{nameof(EosTokenIds)} must not be negative; got [{string.Join(", ", EosTokenIds)}]."));
        }

        if (StopStrings is null)
        {
            problems.Add((nameof(StopStrings), $"{nameof(StopStrings)} must not be null; use an empty list for none."));
        }
        else if (StopStrings.Any(string.IsNullOrEmpty))
        {
            problems.Add((nameof(StopStrings), $"{nameof(StopStrings)} must not contain null or empty strings (an empty string would stop at once)."));
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException(
                $"Invalid generation options: {string.Join(" ", problems.Select(p => p.Message))}", problems[0].Name);
        }
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}
