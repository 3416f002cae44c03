using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Models;

namespace FlMicroservices.Infrastructure.Models;

/// <summary>A task spec's rollback settings as the Core policy (docs/model-lifecycle.md).</summary>
public static class TaskRollback
{
    public static RollbackPolicy PolicyOf(TaskSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return new RollbackPolicy(spec.RollbackThreshold, spec.RollbackWindow, spec.RollbackMargin, spec.MaxRollbacksInARow);
    }
}
