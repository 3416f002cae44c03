namespace FlMicroservices.Core.Privacy;

/// <summary><see cref="Steps"/> consecutive runs of the sampled Gaussian mechanism with one noise multiplier and sampling rate.</summary>
public readonly record struct AccountedSteps(double NoiseMultiplier, double SampleRate, int Steps);
