using System.CommandLine;
using FlMicroservices.Cli;
using FlMicroservices.Cli.Commands;

var root = new RootCommand("fl: the FlMicroservices command line (federated learning on .NET)")
{
    SimulateCommand.Create(),
    BenchCommand.Create(),
    PrivacyCommand.Create(),
    NodeCommand.Create(),
    TaskCommand.Create(),
    AuditCommand.Create(),
};
return await CliRunner.RunAsync(root, args);
