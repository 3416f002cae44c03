using System.CommandLine;
using FlMicroservices.Cli.Commands;

namespace FlMicroservices.Cli;

/// <summary>The `fl` root command with every subcommand.</summary>
public static class CliRoot
{
    public static RootCommand Create() => new("fl: the FlMicroservices command line (federated learning on .NET)")
    {
        SimulateCommand.Create(),
        BenchCommand.Create(),
        PrivacyCommand.Create(),
        NodeCommand.Create(),
        TaskCommand.Create(),
        AuditCommand.Create(),
        EventsCommand.Create(),
        ModelCommand.Create(),
        RewardsCommand.Create(),
        TokenCommand.Create(),
    };
}
