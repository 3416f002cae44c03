using System.CommandLine;
using FlMicroservices.Cli.Commands;

var root = new RootCommand("fl: the FlMicroservices command line (federated learning on .NET)")
{
    SimulateCommand.Create(),
};
return await CommandLine.RunAsync(root, args);
