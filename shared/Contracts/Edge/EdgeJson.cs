using System.Text.Json;

namespace FlMicroservices.Contracts.Edge;

/// <summary>The JSON form of every message on the edge's API (web defaults: camelCase, as the bus writes them).</summary>
public static class EdgeJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);
}
