namespace Zephyr.Alignment.Pipeline;

/// <summary>
/// Settings of the mini-Zephyr run (section <c>Pipeline</c> of <c>appsettings.json</c>; <c>appsettings.quick.json</c> overrides
/// them for <c>--quick</c>; then environment variables <c>ZEPHYR_Pipeline__Key</c>; then <c>--Pipeline:Key=value</c>).
/// </summary>
internal sealed class PipelineOptions
{
    /// <summary>The output folder (<c>--output</c>). Default: <c>mini-zephyr-output</c> in the working directory.</summary>
    public string OutputDirectory { get; set; } = "mini-zephyr-output";

    /// <summary>Seed of the world, the weights, the sampling and the binarization. Default: 42.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Raw-text documents the base model is pretrained on. Default: 24000.</summary>
    public int PretrainDocuments { get; set; } = 24000;

    /// <summary>Demonstrations for dSFT, written by the <see cref="World.Demonstrator"/>. Default: 4800.</summary>
    public int SftExamples { get; set; } = 4800;

    /// <summary>
    /// Share of the demonstrations to answerable requests that open with a chatty preamble ("Sure! "), the demonstrator's
    /// first habit (GPT-3.5-turbo's role in UltraChat), which the teacher's rubric marks down. In [0, 1]. Default: 0.6.
    /// </summary>
    public double DemonstratorPreambleRate { get; set; } = 0.6;

    /// <summary>
    /// Share of the demonstrations to unanswerable requests that give a made-up answer instead of a refusal, the
    /// demonstrator's second habit. In [0, 1]; both rates 0 make every demonstration the teacher's ideal answer. Default: 0.6.
    /// </summary>
    public double DemonstratorMadeUpAnswerRate { get; set; } = 0.6;

    /// <summary>
    /// Held-in prompts answered by the AIF generators and binarized into <c>train_prefs</c>. Default: 1536, about a third of
    /// <see cref="SftExamples"/>, as UltraFeedback's 64k prompts are of UltraChat's 200k dialogues.
    /// </summary>
    public int AifPrompts { get; set; } = 1536;

    /// <summary>Held-out prompts binarized into <c>test_prefs</c> (held-out <c>rewards/accuracies</c>). Default: 64.</summary>
    public int TestPrefPrompts { get; set; } = 64;

    /// <summary>Held-out prompts of the final evaluation (task accuracy, teacher score, win rate). Default: 240.</summary>
    public int EvalPrompts { get; set; } = 240;

    /// <summary>Largest tokenizer vocabulary (bytes, merges and special tokens). Default: 640.</summary>
    public int VocabularySize { get; set; } = 640;

    /// <summary>Model width (<c>hidden_size</c>). Default: 128.</summary>
    public int HiddenSize { get; set; } = 128;

    /// <summary>Decoder layers. Default: 4.</summary>
    public int Layers { get; set; } = 4;

    /// <summary>Attention heads (the key/value heads are half of them, grouped-query attention as in Mistral). Default: 4.</summary>
    public int Heads { get; set; } = 4;

    /// <summary>Tokens per packed pretraining/dSFT row, and the DPO <c>MaxLength</c>. Default: 128.</summary>
    public int MaxLength { get; set; } = 128;

    /// <summary>Most new tokens per generated answer. Default: 24.</summary>
    public int MaxNewTokens { get; set; } = 24;

    /// <summary>Pretraining optimizer steps. Default: 800.</summary>
    public int PretrainSteps { get; set; } = 800;

    /// <summary>Pretraining peak learning rate. Default: 3e-3.</summary>
    public double PretrainLearningRate { get; set; } = 3e-3;

    /// <summary>dSFT epochs over the demonstrations. Default: 6.</summary>
    public double SftEpochs { get; set; } = 6;

    /// <summary>dSFT peak learning rate. Default: 1e-3.</summary>
    public double SftLearningRate { get; set; } = 1e-3;

    /// <summary>Packed rows per pretraining and dSFT batch. Default: 16.</summary>
    public int BatchSize { get; set; } = 16;

    /// <summary>Sampling temperatures of the dSFT model as AIF generators (each one is a generator). Default: none (appsettings.json lists 0.5, 0.7, 0.9, 1.1, 1.3 and 1.5; a list in configuration adds to this one).</summary>
    public IList<double> SftGeneratorTemperatures { get; set; } = [];

    /// <summary>Sampling temperature of the base model as an AIF generator; 0 or less leaves it out. Default: 1.0.</summary>
    public double BaseGeneratorTemperature { get; set; } = 1.0;

    /// <summary>
    /// The teacher's own answers join the AIF generators (generator <c>teacher</c>), as GPT-4's and GPT-3.5's answers are
    /// in UltraFeedback's pool of models beside the open models, so the best candidate of a prompt can be the teacher's.
    /// Default: false.
    /// </summary>
    public bool TeacherGenerator { get; set; }

    /// <summary>
    /// dDPO β. Default: 0.5, a firmer hold on the reference than the paper's 0.1: with 0.1 this small model's held-out
    /// <c>logps/chosen</c> fell during dDPO (likelihood displacement) and its content accuracy with them; with 0.5 they stay flat.
    /// </summary>
    public double Beta { get; set; } = 0.5;

    /// <summary>
    /// dDPO loss types by TRL name (<c>loss_type</c>), summed with <see cref="DpoLossWeights"/> when there are several (TRL's
    /// way of writing RPO: <c>sigmoid</c> and <c>sft</c>). Default: none, which is <c>sigmoid</c>, the paper's DPO loss.
    /// </summary>
    public IList<string> DpoLossTypes { get; set; } = [];

    /// <summary>The weight of each of <see cref="DpoLossTypes"/> (<c>loss_weights</c>). Default: none (all 1).</summary>
    public IList<double> DpoLossWeights { get; set; } = [];

    /// <summary>dDPO epochs over <c>train_prefs</c>. Default: 3, the paper's original dDPO run (with β 0.1).</summary>
    public double DpoEpochs { get; set; } = 3;

    /// <summary>dDPO peak learning rate. Default: 5e-5.</summary>
    public double DpoLearningRate { get; set; } = 5e-5;

    /// <summary>Preference pairs per dDPO batch. Default: 16.</summary>
    public int DpoBatchSize { get; set; } = 16;

    /// <summary>Optimizer steps between logged metrics (all stages). Default: 5.</summary>
    public int LoggingSteps { get; set; } = 5;

    /// <summary>Prompts per generation batch (AIF and evaluation). Default: 32.</summary>
    public int GenerationBatchSize { get; set; } = 32;

    /// <summary>Continue an interrupted run in the same folder: finished stages are kept and skipped. Default: false.</summary>
    public bool Resume { get; set; }

    /// <summary>Run into a folder that holds another run's output, replacing its files. Default: false.</summary>
    public bool Overwrite { get; set; }
}
