namespace FlMicroservices.AppHost;

/// <summary>The Kafka mock's bootstrap servers, read from the file it writes once it is up (the value waits for the file).</summary>
internal sealed class BootstrapFile(string path) : IValueProvider, IManifestExpressionProvider
{
    private static readonly TimeSpan Wait = TimeSpan.FromMinutes(5);

    public string Path { get; } = path;

    public string ValueExpression => "{kafka-mock.bootstrap}";

    public string? TryRead()
    {
        try
        {
            return File.Exists(Path) && File.ReadAllText(Path).Trim() is { Length: > 0 } text ? text : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    public async ValueTask<string?> GetValueAsync(CancellationToken cancellationToken = default)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (true)
        {
            if (TryRead() is { } value) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"The Kafka mock did not write its bootstrap servers to {Path} within {Wait.TotalMinutes} min.");
            await Task.Delay(200, cancellationToken);
        }
    }
}
