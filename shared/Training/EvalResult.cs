namespace FlMicroservices.Training;

/// <summary>How well a model does on a data set.</summary>
/// <param name="Accuracy">Share of examples whose highest logit is the true class, in [0, 1] (NaN for no examples).</param>
/// <param name="Loss">Mean cross-entropy per example (NaN for no examples).</param>
/// <param name="Count">Examples evaluated.</param>
public sealed record EvalResult(double Accuracy, double Loss, int Count);
