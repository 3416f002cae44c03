using Microsoft.Data.Sqlite;

namespace FlMicroservices.Infrastructure.State;

/// <summary>A service's state in one SQLite file (write-ahead log, full sync): the embedded default; see docs/state.md.</summary>
public sealed class SqliteStateStore : JsonStateStore, IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Opens (creating if needed) the database file <paramref name="path"/> and its folder.</summary>
    public SqliteStateStore(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Location = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Location)!);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = Location,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        try
        {
            _connection.Open();
            Execute("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=5000;" +
                "CREATE TABLE IF NOT EXISTS documents (kind TEXT NOT NULL, key TEXT NOT NULL, json TEXT NOT NULL, updated TEXT NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID;");
        }
        catch (SqliteException e)
        {
            _connection.Dispose();
            throw new InvalidOperationException($"Invalid configuration: the state database {Location} cannot be opened ({e.Message}).", e);
        }
    }

    public override string Location { get; }

    protected override async Task<IReadOnlyList<(string Key, string Json)>> ReadAllAsync(string kind, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Command("SELECT key, json FROM documents WHERE kind = $kind ORDER BY key", ("$kind", kind));
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            var rows = new List<(string, string)>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false)) rows.Add((reader.GetString(0), reader.GetString(1)));
            return rows;
        }
        finally { _gate.Release(); }
    }

    protected override async Task<string?> ReadAsync(string kind, string key, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Command("SELECT json FROM documents WHERE kind = $kind AND key = $key", ("$kind", kind), ("$key", key));
            return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) as string;
        }
        finally { _gate.Release(); }
    }

    protected override async Task WriteAsync(string kind, string key, string json, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = Command(
                "INSERT INTO documents (kind, key, json, updated) VALUES ($kind, $key, $json, $updated) " +
                "ON CONFLICT (kind, key) DO UPDATE SET json = excluded.json, updated = excluded.updated",
                ("$kind", kind), ("$key", key), ("$json", json), ("$updated", DateTimeOffset.UtcNow.ToString("O")));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        finally { _gate.Release(); }
    }

    public void Dispose()
    {
        _connection.Dispose();
        _gate.Dispose();
    }

    private void Execute(string sql)
    {
        using var command = Command(sql);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params (string Name, string Value)[] parameters)
    {
        var command = _connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters) command.Parameters.AddWithValue(name, value);
        return command;
    }
}
