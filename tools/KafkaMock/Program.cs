using FlMicroservices.KafkaMock;

// Hosts librdkafka's mock Kafka cluster for local runs and tests: prints "bootstrap=host:port[,...]" and runs until
// stopped (Ctrl-C, SIGTERM, or end of standard input with --until-stdin-closes). Optional: --brokers N, --write FILE,
// --topic NAME (repeatable; default fl.updates): topics made before the bootstrap line is printed, as an operator would.
var brokers = 1;
string? writeTo = null;
var untilStdinCloses = false;
var topics = new List<string>();
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--brokers" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n is > 0 and <= 16:
            brokers = n; i++; break;
        case "--write" when i + 1 < args.Length:
            writeTo = args[++i]; break;
        case "--topic" when i + 1 < args.Length && System.Text.RegularExpressions.Regex.IsMatch(args[i + 1], "^[A-Za-z0-9._-]{1,249}$"):
            topics.Add(args[++i]); break;
        case "--until-stdin-closes":
            untilStdinCloses = true; break;
        default:
            Console.Error.WriteLine($"kafka-mock: unknown or invalid argument '{args[i]}'. Usage: kafka-mock [--brokers 1..16] [--write FILE] [--topic NAME]... [--until-stdin-closes]");
            return 2;
    }
}

using var cluster = new MockKafkaCluster(brokers);
foreach (var topic in topics.Count == 0 ? ["fl.updates"] : topics) cluster.CreateTopic(topic);
if (writeTo is not null)
{
    var temp = writeTo + ".tmp";
    File.WriteAllText(temp, cluster.BootstrapServers);
    File.Move(temp, writeTo, overwrite: true);
}
Console.WriteLine($"bootstrap={cluster.BootstrapServers}");
Console.Out.Flush();
using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.Cancel();
if (untilStdinCloses)
{
    _ = Task.Run(() => { while (Console.In.ReadLine() is not null) { } stop.Cancel(); });
}
try { await Task.Delay(Timeout.Infinite, stop.Token); } catch (OperationCanceledException) { }
return 0;
