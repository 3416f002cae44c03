using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.PrivacyAccounting;

/// <summary>One fact of a task's privacy account, written before it takes effect.</summary>
/// <param name="Kind">"opened" (with <see cref="Config"/> and <see cref="Training"/>), "allowed" (round, rate), "completed"
/// (round, and for local DP the contributors' example counts), "exhaustion-announced".</param>
public sealed record PrivacyJournalEntry(
    string Kind,
    int Round = 0,
    double SampleRate = 0,
    PrivacyConfig? Config = null,
    TrainingConfig? Training = null,
    Dictionary<string, int>? ContributorExamples = null)
{
    public const string Opened = "opened";
    public const string Allowed = "allowed";
    public const string Completed = "completed";
    public const string ExhaustionAnnounced = "exhaustion-announced";
}

/// <summary>Where a privacy account's facts are kept so that a restarted service continues every account where it stood.</summary>
public interface IPrivacyJournal
{
    /// <summary>Appends <paramref name="entry"/> to the task's journal, durably, before returning.</summary>
    void Append(string taskId, PrivacyJournalEntry entry);

    /// <summary>Every task's entries, in the order they were appended.</summary>
    /// <exception cref="InvalidDataException">A journal cannot be read (the message names the file and line).</exception>
    IReadOnlyDictionary<string, IReadOnlyList<PrivacyJournalEntry>> ReadAll();
}

/// <summary>
/// The privacy journal as one JSON-lines file per task in a folder (<c>PrivacyAccounting:LedgerDirectory</c>): each
/// entry is appended and flushed to disk before the decision it records is answered or the round it records is counted.
/// </summary>
/// <remarks>
/// Write-ahead: a decision that allowed a round is on disk before the selector hears it, so a crash can only make the
/// account count a round it did not answer (spending more than happened), never forget one. A torn last line (a crash in
/// the middle of a write) is ignored with that reason in <see cref="Warnings"/>; any other unreadable line stops the
/// service (<see cref="InvalidDataException"/>): a privacy account is not rebuilt from a journal it cannot trust.
/// </remarks>
public sealed partial class FilePrivacyJournal : IPrivacyJournal
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
    };

    private readonly string _directory;
    private readonly Lock _gate = new();
    private readonly List<string> _warnings = [];

    public FilePrivacyJournal(string directory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _directory = directory;
        Directory.CreateDirectory(directory);
    }

    /// <summary>What <see cref="ReadAll"/> skipped, and why.</summary>
    public IReadOnlyList<string> Warnings => _warnings;

    public void Append(string taskId, PrivacyJournalEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var line = JsonSerializer.Serialize(entry, Json) + "\n";
        var bytes = Encoding.UTF8.GetBytes(line);
        lock (_gate)
        {
            using var file = new FileStream(PathOf(taskId), FileMode.Append, FileAccess.Write, FileShare.Read);
            file.Write(bytes);
            file.Flush(flushToDisk: true);
        }
    }

    public IReadOnlyDictionary<string, IReadOnlyList<PrivacyJournalEntry>> ReadAll()
    {
        var all = new Dictionary<string, IReadOnlyList<PrivacyJournalEntry>>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(_directory, "*.jsonl").Order(StringComparer.Ordinal))
        {
            var taskId = Uri.UnescapeDataString(Path.GetFileNameWithoutExtension(path));
            var text = File.ReadAllText(path, Encoding.UTF8);
            var lines = text.Split('\n');
            var entries = new List<PrivacyJournalEntry>();
            for (var i = 0; i < lines.Length; i++)
            {
                if (lines[i].Length == 0) continue;
                var last = i == lines.Length - 1; // no newline after it: the write did not finish
                try
                {
                    var entry = JsonSerializer.Deserialize<PrivacyJournalEntry>(lines[i], Json)
                        ?? throw new JsonException("the line is null");
                    if (last) throw new JsonException("the line has no newline");
                    entries.Add(entry);
                }
                catch (JsonException e) when (last)
                {
                    _warnings.Add($"{path}: the last line ({lines[i].Length} bytes) was not written completely and is ignored ({e.Message})");
                }
                catch (JsonException e)
                {
                    throw new InvalidDataException($"Privacy journal {path}, line {i + 1}: {e.Message}. The account cannot be rebuilt from it.", e);
                }
            }
            all[taskId] = entries;
        }
        return all;
    }

    // Task ids become file names: escaped, so that no id can leave the folder.
    private string PathOf(string taskId)
    {
        ArgumentException.ThrowIfNullOrEmpty(taskId);
        var name = Uri.EscapeDataString(taskId);
        if (!SafeName().IsMatch(name)) throw new ArgumentException($"Task id '{taskId}' cannot name a journal file.", nameof(taskId));
        return Path.Combine(_directory, name + ".jsonl");
    }

    [GeneratedRegex(@"^[A-Za-z0-9%._~-]{1,200}$")]
    private static partial Regex SafeName();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"privacy journal in {_directory}");
}
