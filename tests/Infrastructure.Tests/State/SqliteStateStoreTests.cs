using FlMicroservices.Infrastructure.State;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace FlMicroservices.Infrastructure.Tests.State;

/// <summary>The embedded state store: a SQLite file per test in a temporary folder.</summary>
public sealed class SqliteStateStoreTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "fl-state-" + Guid.NewGuid().ToString("N"));

    private string File => Path.Combine(_folder, "state", "reward.db");

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task Documents_round_trip_and_replace_by_key()
    {
        using var store = new SqliteStateStore(File);
        await StateStoreContract.Documents_round_trip_and_replace_by_key(store);
    }

    [Fact]
    public Task A_new_instance_reads_what_the_last_one_wrote() => StateStoreContract.A_new_instance_reads_what_the_last_one_wrote(() => new SqliteStateStore(File));

    [Fact]
    public async Task The_file_is_created_with_its_folder_and_runs_in_write_ahead_log_mode()
    {
        using (var store = new SqliteStateStore(File))
        {
            await store.PutAsync("k", "1", new { a = 1 }, CancellationToken.None);
            Assert.Equal(File, store.Location);
        }

        Assert.True(System.IO.File.Exists(File));
        using var connection = new SqliteConnection($"Data Source={File};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", command.ExecuteScalar());
        command.CommandText = "SELECT count(*) FROM documents";
        Assert.Equal(1L, command.ExecuteScalar());
    }

    [Fact]
    public async Task A_document_that_cannot_be_read_is_named_in_the_error()
    {
        using (var store = new SqliteStateStore(File)) await store.PutAsync("accounts", "b", new { Id = "b", Balance = "not a number" }, CancellationToken.None);

        using var reopened = new SqliteStateStore(File);
        var error = await Assert.ThrowsAsync<InvalidDataException>(() => reopened.ListAsync<StateStoreContract.Account>("accounts", CancellationToken.None));
        Assert.Contains("accounts/b", error.Message);
        Assert.Contains(File, error.Message);
    }

    [Fact]
    public void A_file_that_cannot_be_opened_stops_start_up_with_its_path()
    {
        Directory.CreateDirectory(File); // a folder where the file should be

        var error = Assert.Throws<InvalidOperationException>(() => new SqliteStateStore(File));
        Assert.StartsWith("Invalid configuration: the state database " + File, error.Message);
    }

    [Fact]
    public void Storage_State_selects_the_backend_and_a_bad_value_is_named()
    {
        var settings = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            [DataRoot.Key] = _folder,
        }).Build();
        using (var store = (SqliteStateStore)StateExtensions.DefaultFactory(settings).Open("selector")) Assert.Equal(Path.Combine(_folder, "state", "selector.db"), store.Location);
        settings["Storage:State"] = "InMemory";
        Assert.IsType<InMemoryStateStore>(StateExtensions.DefaultFactory(settings).Open("selector"));
        settings["Storage:State"] = "Files";
        var error = Assert.Throws<InvalidOperationException>(() => { StateExtensions.DefaultFactory(settings); });
        Assert.Contains("Storage:State must be 'Sqlite', 'MongoDb' or 'InMemory'", error.Message);
    }
}
