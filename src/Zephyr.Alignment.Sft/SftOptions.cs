using Zephyr.Alignment.Data;
using Zephyr.Alignment.Sft.Data;
using Zephyr.Alignment.Training;

namespace Zephyr.Alignment.Sft;

/// <summary>
/// Options of distilled supervised fine-tuning (dSFT), named after TRL's <c>SFTConfig</c>. The defaults are the Zephyr
/// dSFT recipe (Tunstall et al. 2023, arXiv 2310.16944; alignment-handbook <c>zephyr-7b-beta/sft</c>): learning rate
/// 2e-5, cosine schedule, warmup ratio 0.1, one epoch, max length 2048, packing on (the 2023 recipe), seed 42.
/// </summary>
/// <remarks>
/// Training hyperparameters come from <see cref="TrainingOptions"/>. The recipe's effective batch of 128 is
/// <see cref="TrainingOptions.PerDeviceTrainBatchSize"/> × <see cref="TrainingOptions.GradientAccumulationSteps"/> ×
/// devices; set them for your hardware. Check an instance with <see cref="SftOptionsValidator"/>.
/// </remarks>
public sealed class SftOptions : TrainingOptions
{
    /// <summary>Creates options with the recipe's defaults.</summary>
    public SftOptions()
    {
        LearningRate = 2e-5;
    }

    /// <summary>
    /// The base model: a Hugging Face checkpoint folder (<c>model_name_or_path</c>; the recipe uses
    /// <c>mistralai/Mistral-7B-v0.1</c>), loaded through the registered <see cref="IPolicyModelLoader"/> with its tokenizer.
    /// Required when the trainer loads the model (<c>AddSft</c>); ignored when a model is passed in. Default: null.
    /// </summary>
    public string? ModelPath { get; set; }

    /// <summary>
    /// Training data: a <c>.parquet</c>, <c>.jsonl</c> or <c>.json</c> file in the <c>ultrachat_200k</c> schema (<c>messages</c>)
    /// or of plain <c>{prompt, completion}</c> pairs. Required. Default: null.
    /// </summary>
    public string? TrainFile { get; set; }

    /// <summary>Evaluation data in the same forms, for <c>eval_loss</c>, <c>eval_mean_token_accuracy</c> and <c>eval_perplexity</c>. Default: null (no evaluation).</summary>
    public string? EvalFile { get; set; }

    /// <summary>
    /// The chat template by registered name (<c>zephyr</c>, <c>chatml</c>, <c>llama-2</c>, <c>mistral-instruct</c>,
    /// <c>llama-3</c>, or your own). Default: null, meaning the checkpoint's <c>chat_template</c> when the library recognises
    /// it, otherwise <c>zephyr</c> (with the empty system turn the alignment-handbook inserts).
    /// </summary>
    public string? ChatTemplate { get; set; }

    /// <summary>Maximum tokens per example, and the row length when packing (<c>max_length</c>). Default: 2048 (the recipe).</summary>
    public int MaxLength { get; set; } = 2048;

    /// <summary>
    /// What to do with an example longer than <see cref="MaxLength"/>: keep its start (TRL's behaviour) or leave it out;
    /// either way it is counted and logged. Default: <see cref="OverlongExampleHandling.Truncate"/>.
    /// </summary>
    public OverlongExampleHandling OverlongExamples { get; set; } = OverlongExampleHandling.Truncate;

    /// <summary>
    /// Pack several examples into each row of <see cref="MaxLength"/> tokens by best-fit decreasing (<c>packing</c>,
    /// TRL's <c>bfd</c> strategy), keeping their boundaries: positions restart at 0 for each example and attention does
    /// not cross examples. Applies to the evaluation data too. Default: true (the 2023 recipe packed).
    /// </summary>
    public bool Packing { get; set; } = true;

    /// <summary>
    /// Conversations: compute the loss on assistant tokens only, each assistant turn with its eos (<c>assistant_only_loss</c>);
    /// false trains on every token. Default: true.
    /// </summary>
    public bool AssistantOnlyLoss { get; set; } = true;

    /// <summary>
    /// Prompt/completion pairs: compute the loss on the completion (and its eos) only (<c>completion_only_loss</c>); false
    /// trains on the prompt too. Default: true.
    /// </summary>
    public bool CompletionOnlyLoss { get; set; } = true;

    /// <summary>
    /// Invalid rows (malformed, missing fields, no assistant turn, roles out of order, unknown role): throw naming the
    /// file and row, or skip, count and log them. Default: <see cref="InvalidRowHandling.Throw"/>.
    /// </summary>
    public InvalidRowHandling InvalidRows { get; set; } = InvalidRowHandling.Throw;
}
