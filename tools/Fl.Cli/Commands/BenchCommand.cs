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
        var aggregate = new Command("aggregate", "FedAvg fold throughput vs a plain memory read, and peak aggregation memory vs one model") { clients, parameters };
        aggregate.SetAction(parse =>
        {
            var k = parse.GetValue(clients);
            var p = parse.GetValue(parameters);
            if (k < 1) return Invalid($"--clients {k} must be at least 1");
            if (p < 1) return Invalid($"--params {p} must be at least 1");
            var result = AggregationBenchmark.Run(k, p);
            Console.WriteLine(JsonSerializer.Serialize(result));
            return CliRunner.Ok;
        });
        return new Command("bench", "Benchmarks that print ratios against a baseline measured in the same run") { aggregate };
    }

    private static int Invalid(string message)
    {
        Console.Error.WriteLine($"fl bench: {message}");
        return CliRunner.InvalidOption;
    }
}
