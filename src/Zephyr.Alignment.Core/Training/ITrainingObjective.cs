namespace Zephyr.Alignment.Training;

/// <summary>
/// What a trainer contributes to the shared <see cref="TrainingLoop{TBatch}"/>: the loss of one batch and the metrics
/// that go with it. The loop does everything else (optimizer, schedule, accumulation, clipping, evaluation, logging,
/// checkpoints, resume).
/// </summary>
/// <typeparam name="TBatch">The batch type produced by the <see cref="ITrainingDataset{TBatch}"/>.</typeparam>
public interface ITrainingObjective<TBatch>
{
    /// <summary>
    /// Computes the loss of one batch. The loop has already put the policy in training or evaluation mode and, when
    /// <paramref name="training"/> is false, turned gradients off; it runs this inside a dispose scope, so tensors
    /// made here need no disposal.
    /// </summary>
    /// <param name="policy">The model being trained; batch tensors go to <see cref="IPolicyModel.Device"/>.</param>
    /// <param name="batch">A batch from <see cref="ITrainingDataset{TBatch}.Collate"/>.</param>
    /// <param name="training">True for a training micro-batch, false for evaluation.</param>
    /// <returns>
    /// The scalar loss (differentiable when training; the loop divides it by the number of accumulated micro-batches,
    /// or normalises by the step's items when <see cref="ObjectiveOutput.LossItems"/> is set, and calls <c>backward</c>)
    /// and this batch's metrics with <see cref="MetricNames"/> keys.
    /// </returns>
    ObjectiveOutput ComputeLoss(IPolicyModel policy, TBatch batch, bool training);

    /// <summary>
    /// Adds metrics derived from a whole evaluation's averages, such as a perplexity (which cannot be averaged per
    /// batch). Called once per evaluation with the <c>eval_</c> metrics; what it adds is logged, written to
    /// <c>metrics.jsonl</c> and returned like the rest. Default: nothing.
    /// </summary>
    /// <param name="evaluationMetrics">The evaluation's metrics, <c>eval_</c> keys; add to it.</param>
    void AddDerivedEvaluationMetrics(IDictionary<string, double> evaluationMetrics)
    {
    }
}
