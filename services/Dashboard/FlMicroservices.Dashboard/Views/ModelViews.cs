namespace FlMicroservices.Dashboard.Views;

/// <summary>One page of a task's model versions (GET /api/tasks/{id}/models).</summary>
public sealed record ModelVersionPageView(string TaskId, int? CurrentVersion, int? BestVersion, double? BestAccuracy, int Total, int Offset, int Limit,
    ModelVersionView[] Items, PromotionView[]? Promotions);

/// <summary>A version's metrics and role.</summary>
public sealed record ModelVersionView(int Version, int Round, int? ParentVersion, double? Accuracy, double? Loss, bool RolledBack, string Digest,
    DateTimeOffset CreatedAt, bool Current, bool Best);

/// <summary>A version an operator made current.</summary>
public sealed record PromotionView(int Sequence, int Version, int? FromVersion, string Kind, string? Reason, int? AfterRound, DateTimeOffset At);

/// <summary>A version with its ancestors, nearest first.</summary>
public sealed record ModelVersionDetailView(ModelVersionView Version, int[] Lineage, int ParameterCount);

/// <summary>Two versions and the difference of their metrics (b - a).</summary>
public sealed record ModelComparisonView(ModelVersionView A, ModelVersionView B, double? AccuracyDelta, double? LossDelta);

/// <summary>What a promote or roll back did.</summary>
public sealed record PromotionResultView(int Version, int? PreviousVersion, string Kind, bool Changed);
