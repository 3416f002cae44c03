using FlMicroservices.Infrastructure;
using FlMicroservices.Infrastructure.Security;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace FlMicroservices.Dashboard;

/// <summary>Single-user mode's operator identity: a token given in settings, read from a file, or minted with the development issuer's key.</summary>
public sealed class OperatorTokenSource(IOptions<DashboardOptions> options, IConfiguration configuration, TimeProvider clock)
{
    private static readonly TimeSpan MintedLifetime = TimeSpan.FromHours(1);
    private readonly Lock _lock = new();
    private (string Token, DateTimeOffset Expires)? _minted;
    private (string Token, DateTime Written)? _read;

    /// <summary>The bearer token for the next request; null when none is configured (an API with OperatorApi:AuthDisabled).</summary>
    public string? Current()
    {
        var settings = options.Value;
        if (!string.IsNullOrWhiteSpace(settings.OperatorToken)) return settings.OperatorToken.Trim();
        if (!string.IsNullOrWhiteSpace(settings.OperatorTokenFile)) return ReadFile(DataRoot.Resolve(configuration, settings.OperatorTokenFile)!);
        return string.IsNullOrWhiteSpace(settings.DevelopmentIssuerRole) ? null : Mint(settings.DevelopmentIssuerRole);
    }

    // Re-read when the file changes: a mounted secret is rotated in place.
    private string ReadFile(string path)
    {
        try
        {
            var written = File.GetLastWriteTimeUtc(path);
            lock (_lock)
            {
                if (_read is { } read && read.Written == written) return read.Token;
                var token = File.ReadAllText(path).Trim();
                if (token.Length == 0) throw Refusal($"{DashboardOptions.Section}:OperatorTokenFile '{path}' is empty");
                _read = (token, written);
                return token;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw Refusal($"{DashboardOptions.Section}:OperatorTokenFile '{path}' cannot be read: {e.Message}");
        }
    }

    private string Mint(string role)
    {
        lock (_lock)
        {
            var now = clock.GetUtcNow();
            if (_minted is { } minted && minted.Expires - now > TimeSpan.FromMinutes(5)) return minted.Token;
            var api = configuration.GetSection(OperatorApiOptions.Section).Get<OperatorApiOptions>() ?? new OperatorApiOptions();
            byte[] key;
            try { key = DevelopmentIssuer.KeyFor(api, configuration); }
            catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                throw Refusal($"{DashboardOptions.Section}:DevelopmentIssuerRole needs the development issuer's key: {e.Message}");
            }
            var token = DevelopmentIssuer.Mint(key, "dashboard", role, MintedLifetime, api.Audience, now);
            _minted = (token, now + MintedLifetime);
            return token;
        }
    }

    private static ApiProblemException Refusal(string detail) => new(401, "Authorization", detail, []);
}
