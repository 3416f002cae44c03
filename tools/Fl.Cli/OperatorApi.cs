using System.CommandLine;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using FlMicroservices.Contracts;

namespace FlMicroservices.Cli;

/// <summary>What the CLI verbs over the operator API share: the --api option, its checks, and turning failures into exit codes.</summary>
public static class OperatorApi
{
    /// <summary>The gateway of a local deployment (docs/operator-api.md).</summary>
    public const string DefaultUrl = "http://localhost:5100";

    /// <summary>--api, with <paramref name="aliases"/> (fl model keeps its older --registry).</summary>
    public static Option<string> UrlOption(params string[] aliases) =>
        new("--api", aliases) { Description = $"Base URL of the operator API (the gateway; default {DefaultUrl})", DefaultValueFactory = _ => DefaultUrl };

    /// <summary>The environment variable a token is read from when --token is not given.</summary>
    public const string TokenVariable = "FL_TOKEN";

    /// <summary>--token: the bearer token sent with every call (default $FL_TOKEN; `fl token` mints one on a development deployment).</summary>
    public static Option<string?> TokenOption() =>
        new("--token") { Description = $"Bearer token for the operator API (default: ${TokenVariable}; `fl token --role admin` mints one on a development deployment)" };

    /// <summary>The token of --token, else of $FL_TOKEN, else null.</summary>
    public static string? Token(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        return parse.GetValue<string?>("--token") is { Length: > 0 } given ? given
            : Environment.GetEnvironmentVariable(TokenVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
    }

    /// <summary>A problem naming --token when a token is given and is not shaped as a JSON web token, else null.</summary>
    public static string? BadToken(string? token) => token is not null && (token.Any(char.IsWhiteSpace) || token.Split('.').Length != 3)
        ? $"--token (or ${TokenVariable}) is not a JSON web token (three dot-separated parts without spaces)"
        : null;

    public static Option<string> TaskOption() => new("--task") { Description = "Task id", Required = true };

    /// <summary>A problem naming the option when the URL is not http(s), else null.</summary>
    public static string? BadUrl(string option, string url, out Uri? uri) =>
        Uri.TryCreate(url, UriKind.Absolute, out uri) && uri.Scheme is "http" or "https" ? null : $"{option} '{url}' is not an http(s) URL";

    /// <summary>A problem naming the option when the task id breaks the identifier rule, else null.</summary>
    public static string? BadTask(string task) => Identifiers.IsValid(task) ? null : $"--task '{task}' is not a valid task id: {Identifiers.Rule}";

    /// <summary>A problem naming the option when an optional task or client id is given and breaks the identifier rule, else null.</summary>
    public static string? BadId(string option, string? id) =>
        id is null || Identifiers.IsValid(id) ? null : $"{option} '{id}' is not a valid id: {Identifiers.Rule}";

    /// <summary>A query string of the parameters that have a value ("" when none has).</summary>
    public static string Query(params (string Name, string? Value)[] parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var set = parameters.Where(p => p.Value is not null).Select(p => $"{p.Name}={Uri.EscapeDataString(p.Value!)}").ToArray();
        return set.Length == 0 ? "" : "?" + string.Join('&', set);
    }

    /// <summary>Runs <paramref name="action"/> with a client on <paramref name="url"/> sending <paramref name="token"/>: exit 2 on a bad URL or token, 1 when it cannot be reached.</summary>
    public static async Task<int> RunAsync(string command, string option, string url, string? token, Func<HttpClient, Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        if (BadUrl(option, url, out var uri) is { } bad) return Invalid(command, bad);
        if (BadToken(token) is { } badToken) return Invalid(command, badToken);
        using var http = new HttpClient { BaseAddress = uri, Timeout = TimeSpan.FromSeconds(60) };
        if (token is not null) http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        try
        {
            return await action(http);
        }
        catch (HttpRequestException e)
        {
            Console.Error.WriteLine($"{command}: the operator API at {url} cannot be reached: {e.Message}");
            return CliRunner.Failed;
        }
        catch (TaskCanceledException)
        {
            Console.Error.WriteLine($"{command}: the operator API at {url} did not answer within 60 s");
            return CliRunner.Failed;
        }
    }

    public static int Invalid(string command, string problem)
    {
        Console.Error.WriteLine($"{command}: {problem}");
        return CliRunner.InvalidOption;
    }

    /// <summary>Prints the status and the problem document's detail (RFC 9457); exit 1.</summary>
    public static async Task<int> ProblemAsync(string command, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(response);
        string? detail = null;
        try
        {
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
            if (problem.ValueKind == JsonValueKind.Object && problem.TryGetProperty("detail", out var d)) detail = d.GetString();
        }
        catch (JsonException) { }
        Console.Error.WriteLine($"{command}: {(int)response.StatusCode} {detail ?? response.ReasonPhrase}{Hint(response)}");
        return CliRunner.Failed;
    }

    // What to do about a refused call: a token, another role, or waiting.
    private static string Hint(HttpResponseMessage response) => (int)response.StatusCode switch
    {
        401 when response.RequestMessage?.Headers.Authorization is null =>
            $"\n  no token was sent: pass --token or set ${TokenVariable} (on a development deployment: export {TokenVariable}=$(fl token --role admin))",
        401 => $"\n  the token was refused (expired, or from another issuer or key): get a new one and pass it with --token or ${TokenVariable}",
        403 => "\n  the token's role may not do this: use a token with a role the endpoint allows (docs/operator-api.md, \"Authentication and roles\")",
        429 => $"\n  too many requests from this caller: retry after {response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 0:0} s",
        _ => "",
    };

    /// <summary>A number property formatted, or "-" when it is missing or null.</summary>
    public static string Number(JsonElement element, string name, string format) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number
            ? value.GetDouble().ToString(format, CultureInfo.InvariantCulture)
            : "-";

    /// <summary>A string property, or "-" when it is missing or null.</summary>
    public static string Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "-";
}
