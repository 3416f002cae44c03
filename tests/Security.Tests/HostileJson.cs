using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlMicroservices.Security.Tests;

/// <summary>Finds every number in a message's JSON and replaces one of them, to send values a serializer would never write.</summary>
public static class HostileJson
{
    /// <summary>The paths (a.b[2].c) of every number under <paramref name="node"/>.</summary>
    public static IEnumerable<string> NumericPaths(JsonNode node, string prefix = "")
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                    if (value is not null) foreach (var path in NumericPaths(value, prefix.Length == 0 ? key : $"{prefix}.{key}")) yield return path;
                break;
            case JsonArray array:
                for (var i = 0; i < array.Count; i++)
                    if (array[i] is { } item) foreach (var path in NumericPaths(item, $"{prefix}[{i}]")) yield return path;
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.Number:
                yield return prefix;
                break;
        }
    }

    /// <summary>Sets the value at <paramref name="path"/> (as <see cref="NumericPaths"/> names it) to a string.</summary>
    public static void Set(JsonNode root, string path, string value)
    {
        var node = root;
        var parts = path.Replace("[", ".[", StringComparison.Ordinal).Split('.', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < parts.Length; i++)
        {
            var last = i == parts.Length - 1;
            if (parts[i].StartsWith('['))
            {
                var index = int.Parse(parts[i][1..^1], System.Globalization.CultureInfo.InvariantCulture);
                if (last) node!.AsArray()[index] = value;
                else node = node!.AsArray()[index];
            }
            else if (last) node!.AsObject()[parts[i]] = value;
            else node = node!.AsObject()[parts[i]];
        }
    }
}
