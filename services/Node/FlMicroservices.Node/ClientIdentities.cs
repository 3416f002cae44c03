using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Security;

namespace FlMicroservices.Node;

/// <summary>
/// The signing keys of the clients a node hosts, one per algorithm each, made on first use and, with a folder, kept there so that a
/// restarted node keeps its clients' identities (docs/signing.md).
/// </summary>
/// <param name="directory">Where private keys are kept (one file per client and algorithm, readable by the owner only); null: in memory
/// for the life of the process (simulated clients).</param>
/// <param name="algorithms">The algorithms clients hold keys for and register; null: every keyed algorithm, so tasks of either kind run
/// on the fleet. A simulation that runs one task passes that task's algorithm alone: an ML-DSA-65 key per virtual client is most of the
/// cost of registering 100,000 of them.</param>
public sealed class ClientIdentities(string? directory = null, IReadOnlyList<string>? algorithms = null) : IDisposable
{
    private readonly IReadOnlyList<string> _algorithms = Checked(algorithms);

    private readonly ConcurrentDictionary<(string Client, string Algorithm), Lazy<SigningKeyPair>> _keys = new();

    /// <summary>The folder keys are kept in; null when they live in memory only.</summary>
    public string? Directory => directory;

    /// <summary>The client's key pair for <paramref name="algorithm"/>: read from its file, else made (and written).</summary>
    /// <exception cref="InvalidDataException">The key file exists but does not hold such a key; the message names the file.</exception>
    public SigningKeyPair KeyOf(string clientId, string algorithm) =>
        _keys.GetOrAdd((clientId, algorithm), key => new Lazy<SigningKeyPair>(() => Load(key.Client, key.Algorithm))).Value;

    /// <summary>The client's public keys, one per algorithm, as registration carries them.</summary>
    public ClientKey[] PublicKeysOf(string clientId) => _algorithms.Select(a => KeyOf(clientId, a).ToClientKey()).ToArray();

    private static IReadOnlyList<string> Checked(IReadOnlyList<string>? algorithms)
    {
        if (algorithms is null) return SigningAlgorithms.Keyed;
        foreach (var algorithm in algorithms)
            if (!SigningAlgorithms.Keyed.Contains(algorithm))
                throw new ArgumentException($"Signing algorithm '{algorithm}' is not one clients hold keys for ({string.Join(", ", SigningAlgorithms.Keyed)}).", nameof(algorithms));
        return [.. algorithms.Distinct(StringComparer.Ordinal)];
    }

    public void Dispose()
    {
        foreach (var key in _keys.Values.Where(k => k.IsValueCreated)) key.Value.Dispose();
    }

    private SigningKeyPair Load(string clientId, string algorithm)
    {
        if (directory is null) return SigningKeyPair.Generate(algorithm);
        var path = Path.Combine(directory, $"{clientId}.{algorithm}.key");
        if (File.Exists(path))
        {
            try { return SigningKeyPair.Import(algorithm, File.ReadAllBytes(path)); }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                throw new InvalidDataException($"Signing key file {path} does not hold a {algorithm} private key ({e.Message}); restore it, or delete it to make a new identity (the registry will refuse the new key for this client id).", e);
            }
        }
        System.IO.Directory.CreateDirectory(directory);
        var made = SigningKeyPair.Generate(algorithm);
        var temp = path + ".tmp";
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(temp, create))
        {
            file.Write(made.ExportPrivateKey());
            file.Flush(flushToDisk: true);
        }
        try
        {
            File.Move(temp, path, overwrite: false);
            return made;
        }
        catch (IOException) when (File.Exists(path))
        {
            // Another process on the same folder wrote this client's key first: that one is the identity.
            File.Delete(temp);
            made.Dispose();
            return SigningKeyPair.Import(algorithm, File.ReadAllBytes(path));
        }
    }
}
