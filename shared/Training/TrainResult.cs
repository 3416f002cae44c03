namespace FlMicroservices.Training;

/// <summary>The outcome of one client's local training.</summary>
/// <param name="Parameters">The trained model as a flat vector (see <see cref="ParameterVector"/>).</param>
/// <param name="ExampleCount">Local examples trained on: FedAvg's weight for this update.</param>
/// <param name="MeanLoss">Mean cross-entropy per example over the last epoch, measured during it (NaN when there was no data).</param>
/// <param name="Steps">SGD steps taken over all epochs.</param>
public sealed record TrainResult(float[] Parameters, int ExampleCount, double MeanLoss, int Steps);
