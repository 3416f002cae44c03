using System.CommandLine;
using System.Text.Json;
using FlMicroservices.Cli.Bench;

namespace FlMicroservices.Cli.Commands;

/// <summary>`fl bench`: performance figures as ratios to a baseline measured in the same run.</summary>
public static class BenchCommand
{
    public static Command Create()
    {
        var clients = new Option<int>("--clients") { Description = "Updates streamed into the aggregate", DefaultValueFactory = _ => 1000 };
        var parameters = new Option<int>("--params") { Description = "Parameters per update (11.7M = ResNet-18)", DefaultValueFactory = _ => 11_700_000 };
        var group = new Option<int>("--group")
        {
            Description = "Slices of one index folded together, as a partition fetch delivers them (1: one at a time); the one-at-a-time fold is measured too",
            DefaultValueFactory = _ => 8,
        };
        var aggregate = new Command("aggregate", "FedAvg fold throughput (grouped and one at a time) vs a plain memory read, and peak aggregation memory vs one model")
        {
            clients, parameters, group,
        };
        aggregate.SetAction(parse =>
        {
            var k = parse.GetValue(clients);
            var p = parse.GetValue(parameters);
            var b = parse.GetValue(group);
            if (k < 1) return Invalid($"--clients {k} must be at least 1");
            if (p < 1) return Invalid($"--params {p} must be at least 1");
            if (b is < 1 or > 1024) return Invalid($"--group {b} must be between 1 and 1024");
            var result = AggregationBenchmark.Run(k, p, b);
            Console.WriteLine(JsonSerializer.Serialize(result));
            return CliRunner.Ok;
        });
        var streamClients = new Option<int>("--clients") { Description = "Updates streamed through Kafka", DefaultValueFactory = _ => 20 };
        var streamParameters = new Option<int>("--params") { Description = "Parameters per update", DefaultValueFactory = _ => 1_000_000 };
        var kafka = new Option<string?>("--kafka") { Description = "Bootstrap servers of a real cluster (default: librdkafka's mock cluster in process)" };
        var stream = new Command("stream", "Update throughput through Kafka + aggregation vs raw Confluent.Kafka produce+consume of the same bytes")
        {
            streamClients, streamParameters, kafka,
        };
        stream.SetAction(async (parse, cancellationToken) =>
        {
            var k = parse.GetValue(streamClients);
            var p = parse.GetValue(streamParameters);
            if (k is < 1 or > 100_000) return Invalid($"--clients {k} must be between 1 and 100000");
            if (p is < 1 or > 100_000_000) return Invalid($"--params {p} must be between 1 and 100000000");
            var result = await StreamBenchmark.RunAsync(k, p, parse.GetValue(kafka), message => Console.Error.WriteLine($"fl bench stream: {message}"));
            Console.WriteLine(JsonSerializer.Serialize(result));
            return result.aggregate_checked ? CliRunner.Ok : CliRunner.Failed;
        });
        var secClients = new Option<int>("--clients") { Description = "Clients in the round", DefaultValueFactory = _ => 100 };
        var secParameters = new Option<int>("--params") { Description = "Parameters per update", DefaultValueFactory = _ => 1_000_000 };
        var full = new Option<bool>("--full") { Description = "Full SecAgg (complete graph) instead of SecAgg+ (sparse graph of logarithmic degree)" };
        var dropout = new Option<double>("--dropout") { Description = "Share of clients that drop out after sharing their keys", DefaultValueFactory = _ => 0.0 };
        var secSeed = new Option<int>("--seed") { Description = "Seed", DefaultValueFactory = _ => 1 };
        var secagg = new Command("secagg", "Secure aggregation cost per client (bytes sent, CPU) and on the server, as ratios to a plain round in the same run")
        {
            secClients, secParameters, full, dropout, secSeed,
        };
        secagg.SetAction(parse =>
        {
            var n = parse.GetValue(secClients);
            var p = parse.GetValue(secParameters);
            var d = parse.GetValue(dropout);
            if (n is < 3 or > 10_000) return Invalid($"--clients {n} must be between 3 and 10000");
            if (p is < 1 or > 100_000_000) return Invalid($"--params {p} must be between 1 and 100000000");
            if (!(d >= 0 && d < 1)) return Invalid($"--dropout {d} must be in [0, 1)");
            var result = Core.Privacy.SecAgg.SecAggBenchmark.Run(n, p, plus: !parse.GetValue(full), d, parse.GetValue(secSeed));
            Console.WriteLine(JsonSerializer.Serialize(result));
            return CliRunner.Ok;
        });
        return new Command("bench", "Benchmarks that print ratios against a baseline measured in the same run") { aggregate, stream, secagg };
    }

    private static int Invalid(string message)
    {
        Console.Error.WriteLine($"fl bench: {message}");
        return CliRunner.InvalidOption;
    }
}
