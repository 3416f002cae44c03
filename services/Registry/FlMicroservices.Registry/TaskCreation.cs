using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Registry;

/// <summary>Accepts a task request: validates it and stores it once; the caller publishes TaskCreated (signed by the registry), or refuses the request with the problems.</summary>
public sealed class TaskCreation(TaskCatalog catalog, IOptions<TaskLimits> limits, CommandSigning signing, TimeProvider clock)
{
    public async Task<TaskCreationResult> TryCreateAsync(string taskId, TaskSpec? spec, CancellationToken cancellationToken)
    {
        var problems = TaskSpecValidator.Validate(taskId, spec, limits.Value);
        if (problems.Count > 0) return new(null, problems, Duplicate: false);
        var now = clock.GetUtcNow();
        if (!await catalog.TryAddAsync(taskId, spec!, now, cancellationToken)) return new(null, [$"TaskId '{taskId}' already exists"], Duplicate: true);
        return new(signing.Sign(new TaskCreated(taskId, spec!, now)), [], Duplicate: false);
    }
}

/// <summary>The accepted task's TaskCreated, or the problems (each naming its setting) and whether the id was taken.</summary>
public sealed record TaskCreationResult(TaskCreated? Created, IReadOnlyList<string> Problems, bool Duplicate);
