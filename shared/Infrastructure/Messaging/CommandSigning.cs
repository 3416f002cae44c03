using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Security;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Infrastructure.Messaging;

/// <summary>
/// Signatures of the issuing service on the messages parties act on (<see cref="SignedCommands"/>: RoundStarted,
/// SecAggServerMessage, RoundCompleted, TaskCreated, RoundAggregated, ModelVersionPublished, ClientRegistered, TaskCompleted,
/// RewardsIssued, PrivacyBudgetDecision, and the aggregation shards' ShardRoundReported, ShardRoundDecided and
/// ShardRoundFinished): the issuing account signs with its key, every reader checks against that account's public key
/// (docs/security.md, "Signed commands").
/// </summary>
/// <remarks>
/// On when Messaging:AccountsDirectory is set (a deployment with one broker user per process): each issuing account's key pair
/// is NAME.command-key / NAME.command-key.pub in that folder, created by the account's process when missing. Off otherwise
/// (embedded runs, a shared broker user): nothing is signed or checked.
/// </remarks>
public sealed class CommandSigning : IDisposable
{
    private const string KeyFileSuffix = ".command-key";
    private const string PublicKeyFileSuffix = ".command-key.pub";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string? _directory;
    private readonly BrokerAccount? _account;
    private readonly EcdsaP256KeyPair? _key;
    private readonly ConcurrentDictionary<string, byte[]> _publicKeys = new(StringComparer.Ordinal);

    private CommandSigning(string? directory, BrokerAccount? account, EcdsaP256KeyPair? key) => (_directory, _account, _key) = (directory, account, key);

    /// <summary>Nothing is signed or checked.</summary>
    public static CommandSigning Off() => new(null, null, null);

    /// <summary>Signing for <paramref name="account"/> (its key is loaded or created when it issues signed commands) and checking against the keys in <paramref name="directory"/>.</summary>
    public static CommandSigning For(string directory, BrokerAccount account)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentNullException.ThrowIfNull(account);
        var issues = account.Publishes.Any(SignedCommands.IsSigned);
        return new CommandSigning(directory, account, issues ? LoadOrCreate(directory, account.Name) : null);
    }

    /// <summary>Whether commands are checked: a deployment with per-process broker accounts.</summary>
    public bool IsOn => _directory is not null;

    /// <summary>The command with this process's signature, or unchanged when signing is off.</summary>
    public T Sign<T>(T command) where T : class
    {
        ArgumentNullException.ThrowIfNull(command);
        var kind = SignedCommands.Of<T>();
        if (_directory is null) return command;
        if (_key is null || kind.Issuer.Name != _account!.Name)
            throw new InvalidOperationException($"This process's broker account ({_account!.User}) does not issue {typeof(T).Name} ({kind.Issuer.User} does), so it holds no key to sign it.");
        return kind.WithSignature(command, Convert.ToBase64String(_key.Sign(Statement(command))));
    }

    /// <summary>Why <paramref name="command"/> is not to be trusted (unsigned, signed by another key, altered), or null when it is (or checking is off).</summary>
    public string? Problem<T>(T command) where T : class
    {
        ArgumentNullException.ThrowIfNull(command);
        var kind = SignedCommands.Of<T>();
        if (_directory is null) return null;
        var (name, issuer) = (typeof(T).Name, kind.Issuer);
        if (kind.Signature(command) is not { Length: > 0 } encoded) return $"{name} carries no signature of {issuer.User}, which issues it";
        if (PublicKey(issuer.Name) is not { } publicKey)
            return $"there is no public key of {issuer.User} ({Path.Combine(_directory, issuer.Name + PublicKeyFileSuffix)}) to check {name}'s signature against";
        byte[] signature;
        try { signature = Convert.FromBase64String(encoded); }
        catch (FormatException) { return $"{name}'s signature is not base64"; }
        byte[] statement;
        try { statement = Statement(command); }
        catch (Exception e) when (e is JsonException or ArgumentException or NotSupportedException) { return $"{name} cannot be read to check its signature ({e.Message})"; }
        return SignatureVerifier.Verify(SigningAlgorithms.EcdsaP256, publicKey, statement, signature)
            ? null
            : $"{name}'s signature does not verify against the key of {issuer.User}: it was altered or signed by another key";
    }

    /// <summary>True when <paramref name="command"/> is not to be trusted (<see cref="Problem{T}"/>); the reason is logged first as the refusal's record.</summary>
    public bool Refuses<T>(T command, ILogger logger) where T : class
    {
        ArgumentNullException.ThrowIfNull(logger);
        if (Problem(command) is not { } problem) return false;
        logger.LogWarning("Refused {Command} {Subject}: {Reason}", typeof(T).Name, SignedCommands.Of<T>().Subject(command), problem);
        return true;
    }

    /// <summary>What is signed: a domain tag, the message type and the message's JSON without the signature.</summary>
    public static byte[] Statement<T>(T command) where T : class
    {
        ArgumentNullException.ThrowIfNull(command);
        var body = JsonSerializer.SerializeToUtf8Bytes(SignedCommands.Of<T>().WithSignature(command, null), Json);
        var tag = Encoding.UTF8.GetBytes("fl-command-v1\n" + typeof(T).Name + "\n");
        return [.. tag, .. body];
    }

    public void Dispose() => _key?.Dispose();

    // The public key once its file exists (the issuer writes it when it first starts); read again until then.
    private byte[]? PublicKey(string account)
    {
        if (_publicKeys.TryGetValue(account, out var known)) return known;
        var file = Path.Combine(_directory!, account + PublicKeyFileSuffix);
        return File.Exists(file) ? _publicKeys.GetOrAdd(account, PublicKeyFile(file)) : null;
    }

    private static byte[] PublicKeyFile(string file)
    {
        using var key = ECDsa.Create();
        try { key.ImportFromPem(File.ReadAllText(file)); }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"Invalid configuration: {file} is not a PEM public key for command signatures ({e.Message}).", e);
        }
        return key.ExportSubjectPublicKeyInfo();
    }

    // The account's key pair: read from its file, or created (private file readable by its owner only) with its public key beside it.
    private static EcdsaP256KeyPair LoadOrCreate(string directory, string account)
    {
        var file = Path.Combine(directory, account + KeyFileSuffix);
        if (!File.Exists(file))
        {
            Directory.CreateDirectory(directory);
            using var created = EcdsaP256KeyPair.Generate();
            var temporary = file + "." + Guid.NewGuid().ToString("N") + ".tmp";
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            using (var stream = new FileStream(temporary, options))
            using (var writer = new StreamWriter(stream))
                writer.Write(PemEncoding.WriteString("PRIVATE KEY", created.ExportPrivateKey()));
            try { File.Move(temporary, file, overwrite: false); }
            catch (IOException) when (File.Exists(file)) { File.Delete(temporary); } // another instance of the account created it first
        }
        EcdsaP256KeyPair key;
        try
        {
            var pem = PemEncoding.Find(File.ReadAllText(file));
            key = EcdsaP256KeyPair.Import(Convert.FromBase64String(File.ReadAllText(file)[pem.Base64Data]));
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException or FormatException)
        {
            throw new InvalidOperationException($"Invalid configuration: {file} is not a PEM P-256 private key for {account}'s command signatures ({e.Message}).", e);
        }
        // The public half beside it, unless it is there already (a read-only mount of both, in compose and Kubernetes).
        var publicFile = Path.Combine(directory, account + PublicKeyFileSuffix);
        if (!File.Exists(publicFile) || !PublicKeyFile(publicFile).AsSpan().SequenceEqual(key.PublicKey))
        {
            var temporary = publicFile + "." + Guid.NewGuid().ToString("N") + ".tmp";
            File.WriteAllText(temporary, PemEncoding.WriteString("PUBLIC KEY", key.PublicKey));
            File.Move(temporary, publicFile, overwrite: true);
        }
        return key;
    }
}
