using System.Diagnostics;
using FlMicroservices.Infrastructure.Telemetry;
using FlMicroservices.KafkaMock;
using FlMicroservices.Simulation;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace FlMicroservices.EndToEnd.Tests;

/// <summary>Runs alone: the platform's instruments are process-wide, so parallel runs would add to the counts asserted here.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "telemetry";
}

[Collection(TelemetryCollection.Name)]
public sealed class RoundTelemetryTests : IDisposable
{
    private readonly string _out = Path.Combine(Path.GetTempPath(), "fl-telemetry-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public async Task Each_round_is_one_trace_from_the_selector_over_Kafka_to_the_model_registry_and_the_metrics_count_it()
    {
        using var kafka = new MockKafkaCluster();
        var topic = $"fl-telemetry-{Guid.NewGuid():N}";
        kafka.CreateTopic(topic);
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddSource(FlTelemetry.ActivitySourceName, "MassTransit").AddInMemoryExporter(spans).Build();
        using var metering = Sdk.CreateMeterProviderBuilder().AddMeter(FlTelemetry.MeterName).AddInMemoryExporter(metrics).Build();

        var result = await SimulationRunner.RunAsync(new SimulationOptions
        {
            Dataset = "synthetic",
            Clients = 4,
            Fraction = 1.0,
            Rounds = 2,
            LocalEpochs = 1,
            Seed = 7,
            OutDir = _out,
            Settings = new Dictionary<string, string?>
            {
                ["UpdateStream:Transport"] = "Kafka",
                ["UpdateStream:Topic"] = topic,
                ["ConnectionStrings:kafka"] = kafka.BootstrapServers,
            },
        });
        tracing.ForceFlush();
        metering.ForceFlush();

        Assert.Equal(2, result.Rounds);
        var roots = spans.Where(s => s.DisplayName == "selector start round" && Equals(s.GetTagItem("fl.task"), result.TaskId)).ToList();
        Assert.Equal([1, 2], roots.Select(r => (int)r.GetTagItem("fl.round")!).Order());
        Assert.Equal(2, roots.Select(r => r.TraceId).Distinct().Count()); // one trace per round, not one per task
        var folds = 0;
        foreach (var root in roots)
        {
            Assert.Equal(default, root.ParentSpanId); // the round's own trace starts here
            var trace = spans.Where(s => s.TraceId == root.TraceId).ToList();
            // Across Kafka: every slice of every client folded by the aggregation continues the round's trace from the record's header.
            var folded = trace.Where(s => s.DisplayName == "aggregation fold slice").ToList();
            Assert.True(folded.Count >= 4, $"round {root.GetTagItem("fl.round")}: {folded.Count} folded slices in its trace, 4 clients sent at least one each");
            Assert.All(folded, s => Assert.Equal(ActivityKind.Consumer, s.Kind));
            Assert.All(folded, s => Assert.Contains(trace, parent => parent.SpanId == s.ParentSpanId)); // the producing node's span is in the trace
            Assert.Single(trace, s => s.DisplayName == "aggregation close round");
            Assert.Single(trace, s => s.DisplayName == "model-registry publish round");
            Assert.Contains(trace, s => s.Source.Name == "MassTransit" && s.Kind == ActivityKind.Consumer); // the bus hops in between
            folds += folded.Count;
        }

        long Sum(string name, bool ofTask = true) => Points(metrics, name, ofTask ? result.TaskId : null).Sum(p => p.GetSumLong());
        Assert.Equal(2, Sum("fl.rounds.started"));
        Assert.Equal(2, Sum("fl.rounds.completed"));
        Assert.Equal(0, Sum("fl.rounds.failed"));
        Assert.Equal(8, Sum("fl.updates.folded"));
        Assert.Equal(0, Sum("fl.clients.dropouts"));
        Assert.Equal(folds, Sum("fl.update_slices.folded", ofTask: false));
        var bytes = Sum("fl.update_bytes.folded", ofTask: false);
        Assert.True(bytes > 0);
        Assert.Equal(bytes, Sum("fl.node.update_bytes.sent", ofTask: false)); // every byte the node sent was folded
        Assert.Equal(2, Points(metrics, "fl.round.duration", result.TaskId).Sum(p => p.GetHistogramCount()));
        Assert.Equal(8, Points(metrics, "fl.node.training.duration", null).Sum(p => p.GetHistogramCount()));
        var accuracy = Assert.Single(Points(metrics, "fl.model.accuracy", result.TaskId)).GetGaugeLastValueDouble();
        Assert.NotNull(result.FinalAccuracy);
        Assert.Equal(result.FinalAccuracy.Value, accuracy, 6);
    }

    private static List<MetricPoint> Points(IEnumerable<Metric> metrics, string name, string? taskId)
    {
        var points = new List<MetricPoint>();
        foreach (var metric in metrics.Where(m => m.Name == name))
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var task = (string?)null;
                foreach (var tag in point.Tags)
                    if (tag.Key == "fl.task") task = tag.Value as string;
                if (taskId is null || task == taskId) points.Add(point);
            }
        return points;
    }
}
