using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FlMicroservices.Infrastructure.Security;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FlMicroservices.Cli.Tests;

/// <summary>`fl token` mints what the services accept; the API verbs check --token and say what to do on 401, 403 and 429.</summary>
[Collection("console")]
public sealed class TokenCommandTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("fl-token-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task A_minted_token_names_the_caller_and_role_and_is_signed_with_the_key_file_it_made()
    {
        var keyFile = Path.Combine(_folder, "secrets", "key");
        var (code, output, errors) = await RunAsync("token", "--role", "auditor", "--name", "audrey", "--minutes", "5", "--key-file", keyFile);
        Assert.True(code == 0, errors);
        Assert.Contains("auditor token for 'audrey'", errors);
        var key = DevelopmentIssuer.LoadOrCreateKey(keyFile); // the file it made, read back
        Assert.Equal(DevelopmentIssuer.KeyBytes, key.Length);
        var result = await new JsonWebTokenHandler().ValidateTokenAsync(output.Trim(), new TokenValidationParameters
        {
            ValidIssuer = DevelopmentIssuer.Issuer, ValidAudience = OperatorApiOptions.DefaultAudience, IssuerSigningKey = DevelopmentIssuer.SecurityKey(key),
        });
        Assert.True(result.IsValid, result.Exception?.Message);
        var token = (JsonWebToken)result.SecurityToken;
        Assert.Equal(("audrey", "auditor"), (token.GetClaim("name").Value, token.GetClaim("role").Value));
        Assert.Equal(TimeSpan.FromMinutes(5), token.ValidTo - token.IssuedAt);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));

        var (again, second, _) = await RunAsync("token", "--role", "admin", "--key-file", keyFile);
        Assert.Equal(0, again);
        Assert.Equal(key, DevelopmentIssuer.LoadOrCreateKey(keyFile)); // the second token used the same key
        Assert.NotEqual(output, second);
    }

    [Theory]
    [InlineData("token --role root", "--role 'root' is unknown (known: admin, data-scientist, auditor)")]
    [InlineData("token --role admin --minutes 0", "--minutes 0 must be between 1 and 1440")]
    [InlineData("token --role admin --name a/b", "--name 'a/b' is not valid")]
    [InlineData("task list --api http://127.0.0.1:1 --token not-a-jwt", "--token (or $FL_TOKEN) is not a JSON web token")]
    [InlineData("audit log --api http://127.0.0.1:1 --token a.b", "--token (or $FL_TOKEN) is not a JSON web token")]
    public async Task Bad_token_options_exit_2_naming_the_option(string arguments, string expected)
    {
        var (code, _, errors) = await RunAsync(arguments.Split(' '));
        Assert.Equal(2, code);
        Assert.Contains(expected, errors);
    }

    [Fact]
    public async Task A_key_file_that_is_not_a_key_exits_2_naming_it()
    {
        var keyFile = Path.Combine(_folder, "bad.key");
        await File.WriteAllTextAsync(keyFile, "not base64!");
        var (code, _, errors) = await RunAsync("token", "--role", "admin", "--key-file", keyFile);
        Assert.Equal(2, code);
        Assert.Contains($"--key-file: the operator API signing key in {keyFile} is not base64", errors);
    }

    [Theory]
    [InlineData(401, false, "no token was sent: pass --token or set $FL_TOKEN")]
    [InlineData(401, true, "the token was refused (expired, or from another issuer or key)")]
    [InlineData(403, true, "the token's role may not do this")]
    [InlineData(429, true, "too many requests from this caller: retry after 17 s")]
    public async Task A_refused_call_exits_1_with_the_detail_and_what_to_do(int status, bool sentToken, string hint)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "http://localhost/api/tasks");
        if (sentToken) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "a.b.c");
        using var response = new HttpResponseMessage((HttpStatusCode)status)
        {
            RequestMessage = request,
            Content = new StringContent("{\"status\":" + status + ",\"detail\":\"the detail\"}", Encoding.UTF8, "application/problem+json"),
        };
        if (status == 429) response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(17));
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try { Assert.Equal(1, await OperatorApi.ProblemAsync("fl task list", response, CancellationToken.None)); }
        finally { Console.SetError(original); }
        Assert.Contains($"fl task list: {status} the detail", error.ToString());
        Assert.Contains(hint, error.ToString());
    }

    private static async Task<(int Code, string Output, string Errors)> RunAsync(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var (originalOut, originalError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            var code = await CliRunner.RunAsync(CliRoot.Create(), args);
            return (code, output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(originalOut);
            Console.SetError(originalError);
        }
    }
}
