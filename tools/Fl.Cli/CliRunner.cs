using System.CommandLine;

namespace FlMicroservices.Cli;

/// <summary>Runs the root command with the CLI's exit-code convention: 2 for any invalid option, 1 for a failed run.</summary>
public static class CliRunner
{
    public const int Ok = 0;
    public const int Failed = 1;
    public const int InvalidOption = 2;

    public static async Task<int> RunAsync(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0)
        {
            foreach (var error in parse.Errors) Console.Error.WriteLine($"fl: {error.Message}");
            Console.Error.WriteLine("Run 'fl --help' or 'fl <command> --help' for the options.");
            return InvalidOption;
        }
        return await parse.InvokeAsync();
    }
}
