using System.Text.Json;

namespace FlMicroservices.Api.Tests;

/// <summary>Checks that a response is an RFC 9457 problem document with the status and the field at fault.</summary>
public static class ProblemAssert
{
    public static async Task IsProblemAsync(HttpResponseMessage response, int status, string field)
    {
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(field, problem.RootElement.GetProperty("field").GetString());
        Assert.Equal(status, problem.RootElement.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrEmpty(problem.RootElement.GetProperty("detail").GetString()));
    }

    /// <summary>The paths of a service's OpenAPI document.</summary>
    public static async Task<string[]> OpenApiPathsAsync(HttpClient http, string url = "/openapi/v1.json")
    {
        using var document = JsonDocument.Parse(await http.GetStringAsync(url));
        return [.. document.RootElement.GetProperty("paths").EnumerateObject().Select(p => p.Name)];
    }
}
