using System.CommandLine;
using System.Text.Json;
using FlMicroservices.Aggregation;
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
            Description = "Slices of one index the aggregation service folds together (1: each on arrival)",
            DefaultValueFactory = _ => RoundAggregation.DefaultGroupSize,
        };
        var firstRound = new Option<bool>("--first-round")
        {
            Description = "Measure the service's first round of this model (accumulators allocated fresh) instead of a later one (reused)",
        };
        var benchRounds = new Option<int>("--rounds")
        {
            Description = "Rounds measured, each against its own baseline; the figures printed are the median round's",
            DefaultValueFactory = _ => AggregationBenchmark.DefaultRounds,
        };
        var aggregate = new Command("aggregate", "The aggregation service's FedAvg round (checks, grouped exact fold, close) vs the fastest plain read of the same bytes, and its peak memory vs one model")
        {
            clients, parameters, group, firstRound, benchRounds,
        };
        aggregate.SetAction(parse =>
        {
            var k = parse.GetValue(clients);
            var p = parse.GetValue(parameters);
            var b = parse.GetValue(group);
            if (k is < 1 or > MaxClients) return Invalid($"--clients {k} must be between 1 and {MaxClients}");
            if (p is < 1 or > MaxParameters) return Invalid($"--params {p} must be between 1 and {MaxParameters}");
            if (b is < 1 or > 1024) return Invalid($"--group {b} must be between 1 and 1024");
            var r = parse.GetValue(benchRounds);
            if (r is < 1 or > 100) return Invalid($"--rounds {r} must be between 1 and 100");
            if ((double)k * p * r > MaxFoldedValues)
                return Invalid($"--clients {k} --params {p} --rounds {r} fold {(double)k * p * r:G3} values, more than {MaxFoldedValues:G3} (minutes of memory bandwidth)");
            // One update (4 bytes a parameter) and the round's exact sums and model (a generous 28 bytes a parameter).
            if (OptionChecks.FitsInMemory($"--params {p}", 32.0 * p) is { } tooBig) return Invalid(tooBig);
            var result = AggregationBenchmark.Run(k, p, b, firstRound: parse.GetValue(firstRound), rounds: r);
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
            // Every update is held in memory, once as floats and once encoded (about 4 bytes a value each), plus the check's sums.
            if (OptionChecks.FitsInMemory($"--clients {k} --params {p}", 8.0 * k * p + 24.0 * p) is { } tooBig) return Invalid(tooBig);
            var result = await StreamBenchmark.RunAsync(k, p, parse.GetValue(kafka), message => Console.Error.WriteLine($"fl bench stream: {message}"));
            Console.WriteLine(JsonSerializer.Serialize(result));
            return result.aggregate_checked ? CliRunner.Ok : CliRunner.Failed;
        });
        var edgeClients = new Option<int>("--clients") { Description = "Clients in the round, each uploading one update", DefaultValueFactory = _ => 1000 };
        var edgeParameters = new Option<int>("--params") { Description = "Parameters per update (199,210 = MNIST 2NN)", DefaultValueFactory = _ => 199_210 };
        var edgeConcurrency = new Option<int>("--concurrency") { Description = "Clients uploading at once (on both paths)", DefaultValueFactory = _ => 32 };
        var edgeBench = new Command("edge", "Upload throughput of a round through the edge (HTTPS, HTTP/2, checked slices) vs producing the same slices straight to the update stream")
        {
            edgeClients, edgeParameters, edgeConcurrency,
        };
        edgeBench.SetAction(async (parse, cancellationToken) =>
        {
            var k = parse.GetValue(edgeClients);
            var p = parse.GetValue(edgeParameters);
            var c = parse.GetValue(edgeConcurrency);
            if (k is < 1 or > 100_000) return Invalid($"--clients {k} must be between 1 and 100000");
            if (p is < 1 or > 100_000_000) return Invalid($"--params {p} must be between 1 and 100000000");
            if (c < 1 || c > Math.Min(k, 1024)) return Invalid($"--concurrency {c} must be between 1 and the number of clients (at most 1024)");
            var result = await EdgeBenchmark.RunAsync(k, p, c, message => Console.Error.WriteLine($"fl bench edge: {message}"));
            Console.WriteLine(JsonSerializer.Serialize(result));
            return result.every_slice_accepted ? CliRunner.Ok : CliRunner.Failed;
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
            // The simulator holds each client's update and masked input (4 bytes a value each) and the server's sums.
            if (OptionChecks.FitsInMemory($"--clients {n} --params {p}", 8.0 * n * p + 32.0 * p) is { } tooBig) return Invalid(tooBig);
            var result = Bench.SecAggBenchmark.Run(n, p, plus: !parse.GetValue(full), d, parse.GetValue(secSeed));
            Console.WriteLine(JsonSerializer.Serialize(result));
            return CliRunner.Ok;
        });
        var signParameters = new Option<int>("--params") { Description = "Parameters per update (a 2NN sized to about this)", DefaultValueFactory = _ => 1_000_000 };
        var signExamples = new Option<int>("--examples") { Description = "The client's examples (one local epoch, batch 10)", DefaultValueFactory = _ => 600 };
        var signRounds = new Option<int>("--rounds") { Description = "Plain rounds measured (the median is the baseline)", DefaultValueFactory = _ => 5 };
        var signatures = new Option<int>("--signatures") { Description = "Signatures and verifications measured per algorithm (medians)", DefaultValueFactory = _ => 200 };
        var signing = new Command("signing", "ECDSA P-256 and ML-DSA-65 signing and verification per update, as ratios to the plain round's client time (training + encoding)")
        {
            signParameters, signExamples, signRounds, signatures,
        };
        signing.SetAction(parse =>
        {
            var p = parse.GetValue(signParameters);
            var e = parse.GetValue(signExamples);
            var r = parse.GetValue(signRounds);
            var n = parse.GetValue(signatures);
            if (p is < 50_000 or > 50_000_000) return Invalid($"--params {p} must be between 50000 and 50000000");
            if (e is < 10 or > 100_000) return Invalid($"--examples {e} must be between 10 and 100000");
            if (r is < 1 or > 100) return Invalid($"--rounds {r} must be between 1 and 100");
            if (n is < 1 or > 100_000) return Invalid($"--signatures {n} must be between 1 and 100000");
            // The examples (4 bytes a feature, P / 200 features each) and the model, its update and their slices (about 40 bytes a parameter).
            if (OptionChecks.FitsInMemory($"--params {p} --examples {e}", 4.0 * e * p / 200 + 40.0 * p) is { } tooBig) return Invalid(tooBig);
            Console.WriteLine(JsonSerializer.Serialize(SigningBenchmark.Run(p, e, r, n)));
            return CliRunner.Ok;
        });
        var selClients = new Option<int>("--clients") { Description = "Healthy clients registered", DefaultValueFactory = _ => 100_000 };
        var selRepeats = new Option<int>("--repeats") { Description = "Lookups timed per method (medians)", DefaultValueFactory = _ => 5 };
        var selRedis = new Option<string?>("--redis") { Description = "The Redis server (host:port; default $FL_REDIS_URL, which `scripts/infra.sh up` exports in .fl/infra/env)" };
        var selection = new Command("selection", "The selector's candidate lookup in the Redis health store: the data set index vs reading every healthy client's record")
        {
            selClients, selRepeats, selRedis,
        };
        selection.SetAction(async (parse, cancellationToken) =>
        {
            var n = parse.GetValue(selClients);
            var r = parse.GetValue(selRepeats);
            var redis = parse.GetValue(selRedis) ?? Environment.GetEnvironmentVariable("FL_REDIS_URL");
            if (n is < 1 or > 1_000_000) return Invalid($"--clients {n} must be between 1 and 1000000");
            if (r is < 1 or > 100) return Invalid($"--repeats {r} must be between 1 and 100");
            if (string.IsNullOrWhiteSpace(redis))
                return Invalid("--redis is needed (or FL_REDIS_URL): start one with `bash scripts/infra.sh up` and `source .fl/infra/env`");
            try
            {
                Console.WriteLine(JsonSerializer.Serialize(await Bench.SelectionBenchmark.RunAsync(redis, n, r, cancellationToken)));
                return CliRunner.Ok;
            }
            catch (StackExchange.Redis.RedisConnectionException e)
            {
                Console.Error.WriteLine($"fl bench selection: cannot reach Redis at {redis}: {e.Message.Split('\n')[0]}");
                return CliRunner.Failed;
            }
        });
        return new Command("bench", "Benchmarks that print ratios against a baseline measured in the same run") { aggregate, stream, secagg, signing, edgeBench, selection };
    }

    /// <summary>Bounds of `fl bench aggregate`: 100,000 clients, 500M parameters (2 GB a model), 10^11 values folded in all.</summary>
    public const int MaxClients = 100_000, MaxParameters = 500_000_000;

    public const double MaxFoldedValues = 1e11;

    private static int Invalid(string message)
    {
        Console.Error.WriteLine($"fl bench: {message}");
        return CliRunner.InvalidOption;
    }
}
