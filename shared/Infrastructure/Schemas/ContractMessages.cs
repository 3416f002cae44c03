using System.Reflection;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Infrastructure.Schemas;

/// <summary>The message types of the public contract: every record of FlMicroservices.Contracts.V1 that no other contract record contains.</summary>
public static class ContractMessages
{
    /// <summary>The contract namespace; MassTransit names a message's exchange "Namespace:Type" and its URN "urn:message:Namespace:Type".</summary>
    public const string Namespace = "FlMicroservices.Contracts.V1";

    /// <summary>The message types, by name (events, commands and the aggregation shards' internal messages alike: all travel on the bus).</summary>
    public static IReadOnlyList<Type> All { get; } = Find();

    /// <summary>The fanout exchange MassTransit publishes <paramref name="messageType"/> to.</summary>
    public static string ExchangeName(Type messageType) => $"{Namespace}:{messageType.Name}";

    /// <summary>The URN that leads the envelope's messageType list.</summary>
    public static string Urn(Type messageType) => $"urn:message:{Namespace}:{messageType.Name}";

    private static Type[] Find()
    {
        var records = typeof(RoundCompleted).Assembly.GetExportedTypes()
            .Where(t => t.Namespace == Namespace && t.IsClass && t.GetMethod("<Clone>$") is not null)
            .ToArray();
        // A record another record holds (TaskSpec in TaskCreated, Contribution in RoundCompleted) is part of a message, not one.
        var contained = records
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance))
            .Select(p => ElementOf(p.PropertyType))
            .ToHashSet();
        return records.Where(t => !contained.Contains(t)).OrderBy(t => t.Name, StringComparer.Ordinal).ToArray();
    }

    private static Type ElementOf(Type type) =>
        type.IsArray ? ElementOf(type.GetElementType()!)
        : Nullable.GetUnderlyingType(type) is { } underlying ? underlying
        : type.IsGenericType ? ElementOf(type.GetGenericArguments()[^1])
        : type;
}
