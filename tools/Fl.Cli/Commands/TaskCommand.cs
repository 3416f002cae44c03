using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Threading.Channels;
using FlMicroservices.Contracts;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Messaging;
using MassTransit;
using Microsoft.Extensions.Configuration;

namespace FlMicroservices.Cli.Commands;

/// <summary>
/// `fl task create` (the API verbs are <see cref="TaskApiCommands"/>): submits a federated training task to a running deployment over RabbitMQ, and with --follow prints
/// one JSON line per round as an outside subscriber of RoundCompleted, until the task completes or is rejected (bounded:
/// see <see cref="TaskFollower"/>); the exit code is 0 only when the task completed with every round succeeded.
/// </summary>
public static class TaskCommand
{
    public static Command Create()
    {
        var rabbitmq = new Option<string?>("--rabbitmq") { Description = "amqp:// URI of the deployment's broker (default: ConnectionStrings__rabbitmq)" };
        var id = new Option<string?>("--task-id") { Description = "Task id (default: a new one)" };
        var model = new Option<string>("--model") { Description = "logreg | mlp | cnn", DefaultValueFactory = _ => "logreg" };
        var shape = new Option<string>("--shape") { Description = "Sample shape, comma-separated (60 for synthetic, 1,28,28 for MNIST)", DefaultValueFactory = _ => "60" };
        var classes = new Option<int>("--classes") { Description = "Number of classes", DefaultValueFactory = _ => 10 };
        var rounds = new Option<int>("--rounds") { Description = "Rounds", DefaultValueFactory = _ => 10 };
        var fraction = new Option<double>("--fraction") { Description = "Share of healthy clients selected per round", DefaultValueFactory = _ => 1.0 };
        var minClients = new Option<int>("--min-clients") { Description = "At least this many clients per round", DefaultValueFactory = _ => 1 };
        var quorum = new Option<double>("--quorum") { Description = "Share of selected clients whose updates must arrive", DefaultValueFactory = _ => 0.5 };
        var epochs = new Option<int>("--local-epochs") { Description = "Local epochs", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch-size") { Description = "Local batch size", DefaultValueFactory = _ => 10 };
        var lr = new Option<double>("--lr") { Description = "Local learning rate", DefaultValueFactory = _ => 0.05 };
        var strategy = new Option<string>("--strategy") { Description = "Aggregation strategy (see fl simulate --help)", DefaultValueFactory = _ => "fedavg" };
        var timeout = new Option<double>("--round-timeout") { Description = "Seconds a round waits for updates", DefaultValueFactory = _ => 600 };
        var byzantineShare = new Option<double>("--byzantine-share")
        {
            Description = "Share of each round's updates a robust strategy tolerates as Byzantine, in [0, 0.5)",
            DefaultValueFactory = _ => Core.Aggregation.Robust.ByzantineTolerance.DefaultShare,
        };
        var follow = new Option<bool>("--follow") { Description = "Print each round's outcome as a JSON line until the task ends; exit 1 when it is rejected or fails" };
        var validation = new Option<string?>("--validation") { Description = $"Data the model registry evaluates every model on: {ValidationOption.ValidForms}; default synthetic:1,1 for --shape 60 --classes 10, none otherwise" };
        var validationSeed = new Option<int>("--validation-seed") { Description = "Seed of synthetic validation data (the nodes' --seed)", DefaultValueFactory = _ => 1 };
        var validationDevices = new Option<int>("--validation-devices") { Description = "Devices synthetic validation data is generated for (the nodes' --clients times --of)", DefaultValueFactory = _ => 30 };
        var validationSamples = new Option<int>("--validation-samples") { Description = "Evaluate on the first N validation samples (0: all)", DefaultValueFactory = _ => 0 };
        var dataset = new Option<string?>("--dataset") { Description = "The data set clients must hold (default: the validation data's, e.g. mnist; none: any of the task's shape and classes)" };
        var compression = new Option<string>("--compression")
        {
            Description = "How clients compress their updates: none, q8, q4, topk:FRACTION, zstd, or a coding +zstd (docs/compression.md)",
            DefaultValueFactory = _ => Core.Compression.CompressionSpec.NoneText,
        };
        var create = new Command("create", "Submit a training task to a running deployment")
        {
            rabbitmq, id, model, shape, classes, rounds, fraction, minClients, quorum, epochs, batch, lr, strategy, timeout, follow,
            validation, validationSeed, validationDevices, validationSamples, dataset,
        };
        create.Add(byzantineShare);
        create.Add(compression);
        create.SetAction(async (parse, cancellationToken) =>
        {
            var configuration = new ConfigurationBuilder().AddEnvironmentVariables().Build();
            var uri = parse.GetValue(rabbitmq) ?? configuration.GetConnectionString(MessagingOptions.ConnectionStringName);
            if (string.IsNullOrWhiteSpace(uri) || !Uri.TryCreate(uri, UriKind.Absolute, out var broker) || broker.Scheme is not ("amqp" or "amqps"))
                return Invalid("--rabbitmq must be an amqp:// URI (or set ConnectionStrings__rabbitmq)");
            var taskId = parse.GetValue(id) ?? $"task-{DateTime.UtcNow:yyyyMMddHHmmss}-{Guid.NewGuid():N}"[..32];
            if (!Identifiers.IsValid(taskId)) return Invalid($"--task-id '{taskId}' is not valid: {Identifiers.Rule}");
            int[] sampleShape;
            try { sampleShape = parse.GetValue(shape)!.Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); }
            catch (Exception e) when (e is FormatException or OverflowException)
            {
                return Invalid($"--shape '{parse.GetValue(shape)}' must be comma-separated whole numbers below 2^31");
            }
            var seconds = parse.GetValue(timeout);
            if (!(seconds > 0 && seconds < 86_400)) return Invalid($"--round-timeout {seconds.ToString(CultureInfo.InvariantCulture)} must be a number of seconds greater than 0 and below 86400");
            var validationText = parse.GetValue(validation) ?? (sampleShape is [60] && parse.GetValue(classes) == 10 ? "synthetic:1,1" : "none");
            if (!ValidationOption.TryParse(validationText, parse.GetValue(validationSeed), parse.GetValue(validationDevices), parse.GetValue(validationSamples), out var validationData, out var validationProblem))
                return Invalid(validationProblem!);
            var spec = new TaskSpec
            {
                Validation = validationData,
                Dataset = parse.GetValue(dataset),
                ModelName = parse.GetValue(model)!,
                SampleShape = sampleShape,
                ClassCount = parse.GetValue(classes),
                Rounds = parse.GetValue(rounds),
                ClientFraction = parse.GetValue(fraction),
                MinClientsPerRound = parse.GetValue(minClients),
                Quorum = parse.GetValue(quorum),
                RoundTimeout = TimeSpan.FromSeconds(seconds),
                Training = new TrainingConfig(parse.GetValue(epochs), parse.GetValue(batch), parse.GetValue(lr)),
                Strategy = parse.GetValue(strategy)!,
                ByzantineShare = parse.GetValue(byzantineShare),
                Compression = parse.GetValue(compression)!,
            };
            if (Core.Compression.CompressionRules.Problem(spec) is { } compressionProblem) return Invalid($"--compression: {compressionProblem}");
            // The registry would refuse the same task with TaskRejected; checking here names the options before any broker is reached.
            var problems = Registry.TaskSpecValidator.Validate(taskId, spec);
            if (problems.Count > 0) return Invalid(string.Join("; ", problems));
            var events = Channel.CreateUnbounded<object>();
            var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
            {
                cfg.Host(broker);
                if (parse.GetValue(follow))
                {
                    cfg.ReceiveEndpoint($"fl-cli-follow-{Guid.NewGuid():N}", e =>
                    {
                        e.AutoDelete = true;
                        e.Durable = false;
                        e.Handler<RoundCompleted>(c => c.Message.TaskId == taskId ? events.Writer.WriteAsync(c.Message).AsTask() : Task.CompletedTask);
                        e.Handler<TaskCompleted>(c => c.Message.TaskId == taskId ? events.Writer.WriteAsync(c.Message).AsTask() : Task.CompletedTask);
                        e.Handler<TaskRejected>(c => c.Message.TaskId == taskId ? events.Writer.WriteAsync(c.Message).AsTask() : Task.CompletedTask);
                        e.Handler<TaskCreated>(c => c.Message.TaskId == taskId ? events.Writer.WriteAsync(c.Message).AsTask() : Task.CompletedTask);
                    });
                }
            });
            using (var start = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                start.CancelAfter(TimeSpan.FromSeconds(30));
                try { await bus.StartAsync(start.Token); }
                catch (OperationCanceledException) { Console.Error.WriteLine($"fl task: no broker answered at {broker.Host}:{broker.Port} within 30 s"); return CliRunner.Failed; }
            }
            try
            {
                var follower = new TaskFollower(events.Reader, spec.RoundTimeout, spec.Rounds);
                await bus.Publish(new CreateTask(taskId, spec), cancellationToken);
                Console.WriteLine(JsonSerializer.Serialize(new { task_id = taskId, submitted = true }));
                if (!parse.GetValue(follow)) return CliRunner.Ok;
                return await follower.FollowAsync(taskId, cancellationToken);
            }
            finally
            {
                await bus.StopAsync(CancellationToken.None);
            }
        });
        var task = new Command("task", "Work with tasks of a running deployment") { create };
        foreach (var verb in TaskApiCommands.Create()) task.Add(verb); // list, status, cancel, pause, resume: over the operator API
        return task;
    }

    private static int Invalid(string message)
    {
        Console.Error.WriteLine($"fl task: {message}");
        return CliRunner.InvalidOption;
    }
}
