using System.Net.Http.Headers;
using System.Security.Cryptography;
using FlMicroservices.Infrastructure.Security;
using Microsoft.AspNetCore.Hosting;

namespace FlMicroservices.Api.Tests;

/// <summary>One development signing key for every host of a test run, and clients that carry a token of a role.</summary>
public static class TestAuth
{
    public static readonly byte[] Key = RandomNumberGenerator.GetBytes(DevelopmentIssuer.KeyBytes);

    /// <summary>The host accepts tokens signed with <see cref="Key"/>.</summary>
    public static IWebHostBuilder UseTestAuth(this IWebHostBuilder builder) =>
        builder.UseSetting("OperatorApi:SigningKey", Convert.ToBase64String(Key));

    public static string Token(string role, string name = "tester", TimeSpan? lifetime = null) =>
        DevelopmentIssuer.Mint(Key, name, role, lifetime ?? TimeSpan.FromMinutes(10));

    /// <summary>Sends a token of <paramref name="role"/> with every request of <paramref name="http"/>.</summary>
    public static HttpClient As(this HttpClient http, string role, string name = "tester")
    {
        ArgumentNullException.ThrowIfNull(http);
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token(role, name));
        return http;
    }
}
