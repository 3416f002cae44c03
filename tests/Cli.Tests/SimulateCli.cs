namespace FlMicroservices.Cli.Tests;

/// <summary>Runs `fl` (any command; mostly `fl simulate`) in this process with the given arguments, capturing what it writes to standard error.</summary>
internal static class SimulateCli
{
    public static async Task<(int Code, string Errors)> RunAsync(params string[] args)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            var code = await CliRunner.RunAsync(CliRoot.Create(), args);
            return (code, error.ToString());
        }
        finally { Console.SetError(original); }
    }
}
