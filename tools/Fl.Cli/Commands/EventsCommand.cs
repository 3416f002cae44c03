using System.CommandLine;
using FlMicroservices.Infrastructure.Schemas;

namespace FlMicroservices.Cli.Commands;

/// <summary>`fl events schema`: writes the JSON schemas of the public messages and of MassTransit's envelope (docs/events/schemas).</summary>
public static class EventsCommand
{
    public static Command Create()
    {
        var outDir = new Option<string>("--out") { Description = "Folder for Envelope.schema.json and one <Type>.schema.json per message (created if missing)", Required = true };
        var schema = new Command("schema", "Write the JSON schema of every contract message and of the MassTransit envelope, generated from the contract types")
        {
            outDir,
        };
        schema.SetAction(parse =>
        {
            var folder = parse.GetValue(outDir)!;
            if (OptionChecks.WritableFolder("--out", folder) is { } problem)
            {
                Console.Error.WriteLine($"fl events schema: {problem}");
                return CliRunner.InvalidOption;
            }
            var written = MessageSchemas.WriteAll(folder);
            Console.WriteLine($"wrote {written.Count} schemas to {Path.GetFullPath(folder)}");
            return CliRunner.Ok;
        });
        var accounts = new Command("accounts", "Print the broker accounts: per process kind, its RabbitMQ user and configure/write/read permission patterns (tab-separated; docker/rabbitmq/accounts.tsv)");
        accounts.SetAction(_ =>
        {
            Console.Write(Infrastructure.Messaging.BrokerAccounts.Tsv());
            return CliRunner.Ok;
        });
        return new Command("events", "The platform's public events as outside subscribers see them (docs/events.md)")
        {
            schema,
            accounts,
        };
    }
}
