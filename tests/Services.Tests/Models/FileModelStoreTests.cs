using FlMicroservices.Infrastructure.Models;

namespace FlMicroservices.Services.Tests.Models;

public sealed class FileModelStoreTests : IDisposable
{
    private const string TaskId = "mnist-1";
    private readonly string _root = Path.Combine(Path.GetTempPath(), "fl-model-store-tests", Guid.NewGuid().ToString("N"));
    private readonly FileModelStore _store;

    public FileModelStoreTests() => _store = new FileModelStore(_root);

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    private static ModelVersionInfo Info(int version, float[] weights, int? parent = null, double? accuracy = null) =>
        new(TaskId, version, version, parent, weights.Length, WeightsFile.Digest(weights), accuracy, accuracy is null ? null : 1 - accuracy,
            false, new DateTimeOffset(2030, 5, 6, 7, 8, 9, TimeSpan.FromHours(2)).AddTicks(1234567));

    private static readonly float[] Special =
        [0f, -0f, 1.5f, -3.25e-8f, float.Epsilon, float.MaxValue, float.MinValue, float.NaN, float.PositiveInfinity, 0.1f, 1f / 3];

    private static int[] Bits(float[] values) => values.Select(BitConverter.SingleToInt32Bits).ToArray();

    [Fact]
    public async Task A_saved_version_round_trips_weights_bit_for_bit_and_its_metadata()
    {
        var info = Info(1, Special, parent: 0, accuracy: 0.9125);

        await _store.SaveVersionAsync(info, Special, CancellationToken.None);
        var weights = await _store.LoadWeightsAsync(TaskId, 1, CancellationToken.None);
        var loaded = await _store.GetVersionAsync(TaskId, 1, CancellationToken.None);

        Assert.Equal(Bits(Special), Bits(weights));
        Assert.Equal(info, loaded);
        Assert.Equal(info.CreatedAt.Offset, loaded!.CreatedAt.Offset);
        Assert.Equal(WeightsFile.Digest(weights), loaded.Digest);
        Assert.True(File.Exists(Path.Combine(_root, TaskId, "versions", "000001.weights")));
        Assert.True(File.Exists(Path.Combine(_root, TaskId, "versions", "000001.json")));
        Assert.Empty(Directory.EnumerateFiles(_root, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Versions_are_immutable()
    {
        float[] original = [1f, 2f, 3f];
        await _store.SaveVersionAsync(Info(0, original), original, CancellationToken.None);

        float[] other = [9f, 9f, 9f];
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => _store.SaveVersionAsync(Info(0, other), other, CancellationToken.None));

        Assert.Contains("immutable", error.Message);
        Assert.Equal(original, await _store.LoadWeightsAsync(TaskId, 0, CancellationToken.None));
        Assert.Equal(WeightsFile.Digest(original), (await _store.GetVersionAsync(TaskId, 0, CancellationToken.None))!.Digest);
    }

    [Fact]
    public async Task A_version_whose_parameter_count_does_not_match_its_weights_is_refused()
    {
        float[] weights = [1f, 2f];

        await Assert.ThrowsAsync<ArgumentException>(() => _store.SaveVersionAsync(Info(0, weights) with { ParameterCount = 3 }, weights, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.SaveVersionAsync(Info(0, weights) with { Version = -1 }, weights, CancellationToken.None));
        Assert.Null(await _store.GetVersionAsync(TaskId, 0, CancellationToken.None));
    }

    [Fact]
    public async Task The_current_pointer_follows_new_versions_and_can_roll_back()
    {
        Assert.Null(await _store.GetCurrentVersionAsync(TaskId, CancellationToken.None));
        for (var v = 0; v < 3; v++)
        {
            float[] w = [v, v + 0.5f];
            await _store.SaveVersionAsync(Info(v, w, parent: v == 0 ? null : v - 1), w, CancellationToken.None);
            await _store.SetCurrentVersionAsync(TaskId, v, CancellationToken.None);
            Assert.Equal(v, await _store.GetCurrentVersionAsync(TaskId, CancellationToken.None));
        }

        await _store.SetCurrentVersionAsync(TaskId, 1, CancellationToken.None); // roll back

        Assert.Equal(1, await _store.GetCurrentVersionAsync(TaskId, CancellationToken.None));
        Assert.Equal(new[] { 1f, 1.5f }, await _store.LoadWeightsAsync(TaskId, 1, CancellationToken.None));
        Assert.Equal(new[] { 0, 1, 2 }, (await _store.ListVersionsAsync(TaskId, CancellationToken.None)).Select(i => i.Version));
    }

    [Fact]
    public async Task The_current_pointer_cannot_name_a_missing_version()
    {
        float[] w = [1f];
        await _store.SaveVersionAsync(Info(0, w), w, CancellationToken.None);
        await _store.SetCurrentVersionAsync(TaskId, 0, CancellationToken.None);

        await Assert.ThrowsAsync<KeyNotFoundException>(() => _store.SetCurrentVersionAsync(TaskId, 5, CancellationToken.None));
        Assert.Equal(0, await _store.GetCurrentVersionAsync(TaskId, CancellationToken.None));
    }

    [Fact]
    public async Task A_new_store_on_the_same_folder_sees_everything()
    {
        float[] v0 = [0.25f, -1f];
        float[] v1 = [0.5f, -2f];
        float[] candidate = [7f, 8f];
        await _store.SaveVersionAsync(Info(0, v0), v0, CancellationToken.None);
        await _store.SaveVersionAsync(Info(1, v1, parent: 0, accuracy: 0.5), v1, CancellationToken.None);
        await _store.SetCurrentVersionAsync(TaskId, 1, CancellationToken.None);
        var reference = await _store.SaveCandidateAsync(TaskId, 2, candidate, CancellationToken.None);

        var restarted = new FileModelStore(_root);

        Assert.Equal(_store.Root, restarted.Root);
        Assert.Equal(1, await restarted.GetCurrentVersionAsync(TaskId, CancellationToken.None));
        Assert.Equal(v0, await restarted.LoadWeightsAsync(TaskId, 0, CancellationToken.None));
        Assert.Equal(v1, await restarted.LoadWeightsAsync(TaskId, 1, CancellationToken.None));
        Assert.Equal(Info(1, v1, parent: 0, accuracy: 0.5), await restarted.GetVersionAsync(TaskId, 1, CancellationToken.None));
        Assert.Equal(2, (await restarted.ListVersionsAsync(TaskId, CancellationToken.None)).Count);
        Assert.Equal(candidate, await restarted.LoadCandidateAsync(reference, CancellationToken.None));
        await Assert.ThrowsAsync<InvalidOperationException>(() => restarted.SaveVersionAsync(Info(1, v0), v0, CancellationToken.None));
    }

    [Fact]
    public async Task Candidates_are_saved_and_loaded_by_reference()
    {
        float[] weights = [1f, float.NegativeInfinity, -0f, 3.5f];

        var reference = await _store.SaveCandidateAsync(TaskId, 12, weights, CancellationToken.None);
        var loaded = await _store.LoadCandidateAsync(reference, CancellationToken.None);

        Assert.Equal($"{TaskId}/candidates/round-000012.weights", reference);
        Assert.Equal(Bits(weights), Bits(loaded));
        Assert.Null(await _store.GetVersionAsync(TaskId, 12, CancellationToken.None)); // a candidate is not a version
        await Assert.ThrowsAsync<KeyNotFoundException>(() => _store.LoadCandidateAsync($"{TaskId}/candidates/round-000013.weights", CancellationToken.None));
    }

    [Fact]
    public async Task Loading_an_unknown_version_names_the_task_and_the_version()
    {
        var error = await Assert.ThrowsAsync<KeyNotFoundException>(() => _store.LoadWeightsAsync(TaskId, 42, CancellationToken.None));

        Assert.Contains($"'{TaskId}'", error.Message);
        Assert.Contains("version 42", error.Message);
        Assert.Null(await _store.GetVersionAsync(TaskId, 42, CancellationToken.None));
        Assert.Empty(await _store.ListVersionsAsync(TaskId, CancellationToken.None));
    }

    [Fact]
    public async Task A_corrupted_weights_file_gives_InvalidDataException_naming_the_file()
    {
        float[] w = [1f, 2f, 3f];
        await _store.SaveVersionAsync(Info(0, w), w, CancellationToken.None);
        await _store.SaveVersionAsync(Info(1, w), w, CancellationToken.None);
        var garbled = Path.Combine(_root, TaskId, "versions", "000000.weights");
        var truncated = Path.Combine(_root, TaskId, "versions", "000001.weights");
        await File.WriteAllBytesAsync(garbled, [0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0, 0, 0, 0, 0]);
        var bytes = await File.ReadAllBytesAsync(truncated);
        await File.WriteAllBytesAsync(truncated, bytes[..^2]);

        var header = await Assert.ThrowsAsync<InvalidDataException>(() => _store.LoadWeightsAsync(TaskId, 0, CancellationToken.None));
        var length = await Assert.ThrowsAsync<InvalidDataException>(() => _store.LoadWeightsAsync(TaskId, 1, CancellationToken.None));

        Assert.Contains(garbled, header.Message);
        Assert.Contains("FLW1", header.Message);
        Assert.Contains(truncated, length.Message);
        Assert.Contains("announces 3 weights but 10 bytes follow", length.Message);
    }

    [Theory]
    [InlineData("../evil")]
    [InlineData("a/b")]
    [InlineData("")]
    [InlineData(".hidden")]
    public async Task An_invalid_task_id_is_refused_before_touching_the_disk(string taskId)
    {
        float[] w = [1f];
        var info = Info(0, w) with { TaskId = taskId };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => _store.SaveVersionAsync(info, w, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.LoadWeightsAsync(taskId, 0, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.GetVersionAsync(taskId, 0, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.GetCurrentVersionAsync(taskId, CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.SaveCandidateAsync(taskId, 1, w, CancellationToken.None));

        Assert.Contains("Task id", error.Message);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_root));
        Assert.False(Directory.Exists(Path.Combine(Path.GetDirectoryName(_root)!, "evil")));
    }

    [Fact]
    public async Task A_candidate_reference_outside_the_store_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => _store.LoadCandidateAsync("../evil/candidates/round-000001.weights", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.LoadCandidateAsync("/etc/passwd", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => _store.LoadCandidateAsync($"{TaskId}/versions/000001.weights", CancellationToken.None));
    }
}
