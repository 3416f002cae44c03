using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace FlMicroservices.Testing;

/// <summary>The formatted log entries (Information and above) of the services under test, for tests that assert what a service recorded.</summary>
/// <remarks>Register it as an <see cref="ILoggerProvider"/> singleton; the host's logger factory then writes to it as well.</remarks>
public sealed class RecordedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    /// <summary>The entries so far, in the order they were logged.</summary>
    public IReadOnlyList<string> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Recorder(_entries);

    public void Dispose() { }

    private sealed class Recorder(ConcurrentQueue<string> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel)) entries.Enqueue(formatter(state, exception));
        }
    }
}
