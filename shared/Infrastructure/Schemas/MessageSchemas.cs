using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Schema;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using MassTransit.Serialization;

namespace FlMicroservices.Infrastructure.Schemas;

/// <summary>JSON schemas (draft 2020-12) of the contract messages and of MassTransit's envelope, as they travel on the bus.</summary>
/// <remarks>
/// Generated from the types with System.Text.Json's schema exporter over MassTransit's own serializer options (camelCase names,
/// nulls omitted, its converters), with nullable annotations respected so that only fields that can be null admit null.
/// A field is required when every V1 publisher sends it: a positional parameter without a default or a C# required member,
/// whose value cannot be null (null values are left out on the wire). Fields added later with defaults stay optional.
/// </remarks>
public static class MessageSchemas
{
    /// <summary>The file name of the envelope's schema.</summary>
    public const string EnvelopeFile = "Envelope.schema.json";

    /// <summary>The envelope fields MassTransit always writes.</summary>
    private static readonly string[] EnvelopeRequired = ["messageId", "messageType", "message"];

    private static readonly JsonSerializerOptions WireOptions = SchemaOptions();

    private static readonly JsonSerializerOptions FileFormat = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>The schema file name of a message type.</summary>
    public static string FileName(Type messageType) => $"{messageType.Name}.schema.json";

    /// <summary>The schema of a message (the envelope's "message" field).</summary>
    public static JsonObject ForMessage(Type messageType)
    {
        var schema = Export(messageType);
        return Titled(schema, ContractMessages.Urn(messageType), $"{messageType.Name}: the \"message\" field of the envelope on exchange {ContractMessages.ExchangeName(messageType)}");
    }

    /// <summary>The schema of MassTransit's JSON envelope (content type application/vnd.masstransit+json) around every message.</summary>
    public static JsonObject Envelope()
    {
        var schema = Export(typeof(JsonMessageEnvelope));
        schema["properties"]!["message"] = new JsonObject { ["type"] = "object", ["description"] = "the message itself: see <Type>.schema.json" };
        schema["required"] = new JsonArray(EnvelopeRequired.Select(name => (JsonNode)name).ToArray());
        return Titled(schema, "MassTransit JSON envelope",
            "The body of every message on the bus (application/vnd.masstransit+json); \"message\" holds the event, whose schema is <Type>.schema.json");
    }

    /// <summary>Every schema file: the envelope's and one per contract message, by file name, as the text to commit.</summary>
    public static IReadOnlyList<(string File, string Json)> Files() =>
        [
            (EnvelopeFile, Format(Envelope())),
            .. ContractMessages.All.Select(type => (FileName(type), Format(ForMessage(type)))),
        ];

    /// <summary>Writes <see cref="Files"/> into <paramref name="folder"/> (created if missing) and returns the paths written.</summary>
    public static IReadOnlyList<string> WriteAll(string folder)
    {
        Directory.CreateDirectory(folder);
        var written = new List<string>();
        foreach (var (file, json) in Files())
        {
            var path = Path.Combine(folder, file);
            File.WriteAllText(path, json);
            written.Add(path);
        }
        return written;
    }

    private static string Format(JsonObject schema) => schema.ToJsonString(FileFormat).ReplaceLineEndings("\n") + "\n";

    private static JsonObject Titled(JsonObject schema, string title, string description)
    {
        schema["type"] = "object"; // a message (or envelope) is never null
        var titled = new JsonObject
        {
            ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
            ["title"] = title,
            ["description"] = description,
        };
        foreach (var (key, value) in schema.ToArray())
        {
            schema.Remove(key);
            titled[key] = value;
        }
        return titled;
    }

    private static JsonObject Export(Type type) =>
        WireOptions.GetJsonSchemaAsNode(type, new JsonSchemaExporterOptions { TransformSchemaNode = Transform }) as JsonObject
        ?? throw new InvalidOperationException($"The schema of {type.Name} is not an object schema.");

    private static JsonNode Transform(JsonSchemaExporterContext context, JsonNode schema)
    {
        // MassTransit's own converters (decimals as strings, case-insensitive dictionaries, HostInfo) leave the exporter blind.
        if (schema is JsonValue value && value.TryGetValue<bool>(out var any) && any)
            schema = ForConverter(context.TypeInfo.Type) ?? throw new InvalidOperationException(
                $"No JSON schema for {context.TypeInfo.Type} at '{string.Join('/', context.Path.ToArray())}': describe what MassTransit writes for it in MessageSchemas.ForConverter.");
        if (schema is not JsonObject node) return schema;
        if (context.PropertyInfo is null && context.TypeInfo.Kind == JsonTypeInfoKind.Object && context.TypeInfo.Type != typeof(JsonMessageEnvelope))
        {
            var required = context.TypeInfo.Properties.Where(AlwaysSent).Select(p => (JsonNode)p.Name).ToArray();
            node.Remove("required");
            if (required.Length > 0) node["required"] = new JsonArray(required);
        }
        return node;
    }

    /// <summary>What MassTransit's converters write: decimals as invariant-culture strings, string-keyed dictionaries as objects.</summary>
    private static JsonNode? ForConverter(Type type)
    {
        if (type == typeof(decimal))
            return new JsonObject { ["type"] = "string", ["pattern"] = "^-?[0-9]+(\\.[0-9]+)?$", ["$comment"] = "a decimal, written as a string by MassTransit" };
        if (type == typeof(object)) return JsonValue.Create(true);
        if (type == typeof(MassTransit.HostInfo)) return Export(typeof(MassTransit.Metadata.BusHostInfo));
        var dictionary = type.IsGenericType ? type.GetInterfaces().Append(type)
            .FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>)) : null;
        if (dictionary?.GetGenericArguments() is [var key, var element] && key == typeof(string))
            return new JsonObject
            {
                ["type"] = "object",
                ["additionalProperties"] = element == typeof(object) ? JsonValue.Create(true) : Export(element),
            };
        return null;
    }

    private static bool AlwaysSent(JsonPropertyInfo property)
    {
        if (property.Get is null) return false;
        var declared = property.IsRequired || property.AssociatedParameter is { HasDefaultValue: false };
        var omittedWhenNull = WireOptions.DefaultIgnoreCondition == JsonIgnoreCondition.WhenWritingNull;
        return declared && !(property.IsGetNullable && omittedWhenNull);
    }

    private static JsonSerializerOptions SchemaOptions()
    {
        var options = new JsonSerializerOptions(SystemTextJsonMessageSerializer.Options) { RespectNullableAnnotations = true };
        options.TypeInfoResolver ??= new DefaultJsonTypeInfoResolver();
        options.MakeReadOnly();
        return options;
    }
}
