using System.CommandLine;
using FlMicroservices.Contracts;
using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Security;

namespace FlMicroservices.Cli.Commands;

/// <summary>`fl token`: a bearer token for the operator API from the development issuer's key (docs/operator-api.md, "Authentication and roles").</summary>
public static class TokenCommand
{
    public const string KeyVariable = "OperatorApi__SigningKey";

    public static Command Create()
    {
        var role = new Option<string>("--role") { Description = $"The caller's role: {string.Join(", ", OperatorRoles.All)}", Required = true };
        var name = new Option<string>("--name") { Description = "Who the token names (the audit log's caller)", DefaultValueFactory = _ => Environment.UserName is { Length: > 0 } user ? user : "operator" };
        var minutes = new Option<int>("--minutes") { Description = "Minutes the token is valid (at most 1440)", DefaultValueFactory = _ => 60 };
        var keyFile = new Option<string?>("--key-file")
        {
            Description = $"The signing key the services use (default: ${KeyVariable}, else {DevelopmentIssuer.DefaultKeyFile} under the data root: Storage:Root, $FL_HOME or ~/.fl; made when missing)",
        };
        var audience = new Option<string>("--audience") { Description = "The audience the services expect (OperatorApi:Audience)", DefaultValueFactory = _ => OperatorApiOptions.DefaultAudience };
        var command = new Command("token", "Mint a bearer token for the operator API with the development issuer's key; prints only the token (for --token or FL_TOKEN)")
        {
            role, name, minutes, keyFile, audience,
        };
        command.SetAction(parse =>
        {
            var (who, what, lifetime) = (parse.GetValue(name)!, parse.GetValue(role)!, parse.GetValue(minutes));
            if (!OperatorRoles.All.Contains(what)) return Invalid($"--role '{what}' is unknown (known: {string.Join(", ", OperatorRoles.All)})");
            if (!Identifiers.IsValid(who)) return Invalid($"--name '{who}' is not valid: {Identifiers.Rule}");
            if (lifetime is < 1 or > 1440) return Invalid($"--minutes {lifetime} must be between 1 and 1440");
            if (string.IsNullOrWhiteSpace(parse.GetValue(audience))) return Invalid("--audience must not be empty");
            byte[] key;
            string source;
            try
            {
                if (parse.GetValue(keyFile) is null && Environment.GetEnvironmentVariable(KeyVariable) is { Length: > 0 } configured)
                    (key, source) = (DevelopmentIssuer.Decode(configured, $"${KeyVariable}"), $"${KeyVariable}");
                else
                {
                    source = parse.GetValue(keyFile) is { } file ? Path.GetFullPath(file) : DataRoot.Resolve(null, DevelopmentIssuer.DefaultKeyFile)!;
                    key = DevelopmentIssuer.LoadOrCreateKey(source);
                }
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                return Invalid($"--key-file: {e.Message.Replace("Invalid configuration: ", "", StringComparison.Ordinal)}");
            }
            var expires = DateTimeOffset.UtcNow.AddMinutes(lifetime);
            Console.Out.WriteLine(DevelopmentIssuer.Mint(key, who, what, TimeSpan.FromMinutes(lifetime), parse.GetValue(audience)!));
            Console.Error.WriteLine($"fl token: {what} token for '{who}', valid until {expires:yyyy-MM-dd HH:mm:ss} UTC, signed with the key from {source}");
            return CliRunner.Ok;
        });
        return command;
    }

    private static int Invalid(string problem)
    {
        Console.Error.WriteLine($"fl token: {problem}");
        return CliRunner.InvalidOption;
    }
}
