using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace FlMicroservices.Infrastructure.Security;

/// <summary>The development issuer: HS256 tokens signed with a key kept as a secret file under the data root (fl token mints them).</summary>
public static class DevelopmentIssuer
{
    public const string Issuer = "fl-development";
    public const string DefaultKeyFile = "secrets/operator-signing.key";
    public const int KeyBytes = 32;

    /// <summary>The key in <paramref name="path"/> (base64), made with 32 random bytes when the file does not exist; readable by its owner only.</summary>
    public static byte[] LoadOrCreateKey(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
            var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var file = new StreamWriter(temporary, System.Text.Encoding.ASCII, options))
                file.Write(Convert.ToBase64String(RandomNumberGenerator.GetBytes(KeyBytes)));
            try { File.Move(temporary, path, overwrite: false); }
            catch (IOException) when (File.Exists(path)) { File.Delete(temporary); } // another process made it first: use theirs
        }
        return Decode(File.ReadAllText(path).Trim(), path);
    }

    /// <summary>The key from its base64 text; <paramref name="source"/> names where it came from in the error.</summary>
    public static byte[] Decode(string base64, string source)
    {
        byte[] key;
        try { key = Convert.FromBase64String(base64.Trim()); }
        catch (FormatException) { throw new InvalidOperationException($"Invalid configuration: the operator API signing key in {source} is not base64."); }
        if (key.Length < KeyBytes)
            throw new InvalidOperationException($"Invalid configuration: the operator API signing key in {source} has {key.Length} bytes; at least {KeyBytes} are needed.");
        return key;
    }

    /// <summary>OperatorApi:SigningKey when set, else the key file (OperatorApi:SigningKeyFile under the data root), made when missing.</summary>
    public static byte[] KeyFor(OperatorApiOptions options, Microsoft.Extensions.Configuration.IConfiguration? configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.SigningKey is { Length: > 0 } configured
            ? Decode(configured, $"{OperatorApiOptions.Section}:{nameof(OperatorApiOptions.SigningKey)}")
            : LoadOrCreateKey(DataRoot.Resolve(configuration, options.SigningKeyFile)!);
    }

    public static SymmetricSecurityKey SecurityKey(byte[] key) => new(key) { KeyId = "fl-development" };

    /// <summary>A token naming <paramref name="name"/> with <paramref name="role"/>, valid from now for <paramref name="lifetime"/>.</summary>
    public static string Mint(byte[] key, string name, string role, TimeSpan lifetime, string audience = OperatorApiOptions.DefaultAudience, DateTimeOffset? now = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(role);
        var issued = (now ?? DateTimeOffset.UtcNow).UtcDateTime;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", name), new Claim("name", name), new Claim("role", role)]),
            IssuedAt = issued,
            NotBefore = issued,
            Expires = issued + lifetime,
            SigningCredentials = new SigningCredentials(SecurityKey(key), SecurityAlgorithms.HmacSha256),
        });
    }
}
