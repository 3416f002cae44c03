using System.Security.Cryptography;
using System.Text.Json;

namespace FlMicroservices.Node.Edge;

/// <summary>A node's identity at the edge: its ECDSA P-256 key pair and what the edge recorded at enrolment, kept in one file.</summary>
public sealed class EdgeIdentity : IDisposable
{
    private EdgeIdentity(string path, Stored stored, ECDsa key)
    {
        Path = path;
        Record = stored;
        Key = key;
    }

    public string Path { get; }

    public ECDsa Key { get; }

    public string NodeId => Record.NodeId;

    public string Audience => Record.Audience;

    public IReadOnlyList<string> ClientIds => Record.ClientIds;

    private Stored Record { get; }

    /// <summary>The identity in <paramref name="path"/>, or null when the node has not enrolled yet.</summary>
    public static EdgeIdentity? Load(string path)
    {
        if (!File.Exists(path)) return null;
        var stored = JsonSerializer.Deserialize<Stored>(File.ReadAllText(path))
            ?? throw new InvalidDataException($"{path} holds no edge identity");
        var key = ECDsa.Create();
        key.ImportFromPem(stored.PrivateKeyPem);
        return new EdgeIdentity(path, stored, key);
    }

    /// <summary>A new key pair, not yet saved (saved once the edge accepts it).</summary>
    public static ECDsa NewKey() => ECDsa.Create(ECCurve.NamedCurves.nistP256);

    /// <summary>Writes the identity readable by its owner only, replacing the file atomically.</summary>
    public static EdgeIdentity Save(string path, ECDsa key, string nodeId, string audience, IReadOnlyList<string> clientIds)
    {
        ArgumentNullException.ThrowIfNull(key);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        var stored = new Stored(nodeId, audience, [.. clientIds], key.ExportPkcs8PrivateKeyPem());
        var temporary = path + ".tmp";
        var access = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) access.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var file = new FileStream(temporary, access))
            JsonSerializer.Serialize(file, stored);
        File.Move(temporary, path, overwrite: true);
        return new EdgeIdentity(path, stored, key);
    }

    public void Dispose() => Key.Dispose();

    private sealed record Stored(string NodeId, string Audience, string[] ClientIds, string PrivateKeyPem);
}
