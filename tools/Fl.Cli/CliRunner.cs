using System.CommandLine;

namespace FlMicroservices.Cli;

/// <summary>Runs the root command with the CLI's exit-code convention: 2 for any invalid option, 1 for a failed run (never a stack trace).</summary>
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
        try
        {
            // Commands check their options and catch the failures they expect; anything else still ends as one line, not a stack trace.
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("fl: cancelled");
            return Failed;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"fl: failed: {Describe(e)}");
            return Failed;
        }
    }

    /// <summary>The messages of an exception and its inner ones, on one line.</summary>
    public static string Describe(Exception e)
    {
        var parts = new List<string>();
        for (var inner = e; inner is not null; inner = inner.InnerException)
            if (parts.Count == 0 || parts[^1] != inner.Message) parts.Add(inner.Message.ReplaceLineEndings(" "));
        return string.Join(": ", parts);
    }
}
