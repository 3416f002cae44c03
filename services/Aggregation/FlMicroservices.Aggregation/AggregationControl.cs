using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Aggregation;

/// <summary>The small part of the aggregator's state, rewritten on every broker message that changes it.</summary>
public sealed record AggregationControl(
    List<RoundStarted> Open,
    List<UpdateSubmitted> Manifests,
    List<ClosedRound> Closed,
    Dictionary<string, double[]>? LastNorms = null,
    List<UpdateDeclined>? Declines = null,
    List<RefusedManifest>? Refusals = null);
