using System.Runtime.CompilerServices;
using System.Text.Json;
using FlMicroservices.Contracts;
using FlMicroservices.Contracts.Edge;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Node.Edge;

/// <summary>The edge's push channel (Server-Sent Events) as messages: each event's name and data line, read into its contract or refused with a reason.</summary>
public static class PushEventReader
{
    /// <summary>The events of <paramref name="reader"/>: an "event:" line followed by a "data:" line; comments, blank and unknown lines are skipped.</summary>
    public static async IAsyncEnumerable<(string Name, string Data)> ReadAsync(TextReader reader, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        string? name = null;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal) && name is not null)
            {
                yield return (name, line[6..]);
                name = null;
            }
        }
    }

    /// <summary>The message of a round-started or secure-aggregation event; null with <paramref name="problem"/> when it cannot be read, or null without one for an event of another name.</summary>
    public static object? Parse(string name, string data, out string? problem)
    {
        problem = null;
        try
        {
            switch (name)
            {
                case EdgeApi.RoundStartedEvent:
                    var round = JsonSerializer.Deserialize<RoundStarted>(data, EdgeJson.Options);
                    problem = round is null ? "the data is null"
                        : !Identifiers.IsValid(round.TaskId) ? $"task id '{round.TaskId}' is not valid"
                        : round.Round < 0 || round.SliceElements < 1 ? $"round {round.Round} with {round.SliceElements} elements per slice is not valid"
                        : round.Participants is null || round.Training is null || round.Privacy is null ? "participants, training or privacy are missing"
                        : null;
                    return problem is null ? round : null;
                case EdgeApi.SecAggServerEvent:
                    var message = JsonSerializer.Deserialize<SecAggServerMessage>(data, EdgeJson.Options);
                    problem = message is null ? "the data is null"
                        : !Identifiers.IsValid(message.TaskId) || !Identifiers.IsValid(message.RecipientClientId) ? "task or recipient id is not valid"
                        : message.Payload is null ? "the payload is missing"
                        : null;
                    return problem is null ? message : null;
                default:
                    return null;
            }
        }
        catch (JsonException e)
        {
            problem = $"the data is not a valid {name} message: {e.Message}";
            return null;
        }
    }
}
