using System.CommandLine;
using FlMicroservices.Cli.Commands;

namespace FlMicroservices.Cli.Tests;

/// <summary>`fl node` and `fl task` refuse bad input before touching any broker, naming what is wrong.</summary>
[Collection("console")]
public sealed class DeploymentCommandTests
{
    private static async Task<(int Code, string Errors)> RunAsync(params string[] args)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        try
        {
            var code = await CliRunner.RunAsync(new RootCommand { NodeCommand.Create(), TaskCommand.Create() }, args);
            return (code, error.ToString());
        }
        finally { Console.SetError(original); }
    }

    [Theory]
    [InlineData("--part 3 --of 3", "--part 3 --of 3")]
    [InlineData("--clients 0", "--clients 0")]
    [InlineData("--node-id bad/id", "--node-id 'bad/id'")]
    [InlineData("--submit-delay -1", "--submit-delay -1")]
    [InlineData("--dataset cifar", "cifar")]
    [InlineData("--training-window 25:00-06:00", "--training-window '25:00-06:00' is not a daily window")]
    [InlineData("--training-window 22:00-22:00", "--training-window '22:00-22:00' starts and ends at the same time")]
    public async Task Fl_node_refuses_bad_options_with_exit_code_2(string options, string named)
    {
        var (code, errors) = await RunAsync(["node", .. options.Split(' ')]);

        Assert.Equal(CliRunner.InvalidOption, code);
        Assert.Contains(named, errors);
    }

    [Fact]
    public async Task Fl_node_with_a_broker_setting_that_is_not_a_uri_stops_naming_the_setting()
    {
        var (code, errors) = await RunAsync("node", "--rabbitmq", "not-a-uri", "--clients", "1");

        Assert.Equal(CliRunner.InvalidOption, code);
        Assert.Contains("ConnectionStrings:rabbitmq", errors);
    }

    [Theory]
    [InlineData("--rabbitmq http://host/", "--rabbitmq")]
    [InlineData("--rabbitmq amqp://localhost/ --task-id bad/id", "--task-id")]
    [InlineData("--rabbitmq amqp://localhost/ --shape 1,x", "--shape")]
    [InlineData("--rabbitmq amqp://localhost/ --round-timeout 1e300", "--round-timeout 1E+300")]
    [InlineData("--rabbitmq amqp://localhost/ --round-timeout 0", "--round-timeout 0")]
    public async Task Fl_task_create_refuses_bad_options_with_exit_code_2(string options, string named)
    {
        var (code, errors) = await RunAsync(["task", "create", .. options.Split(' ')]);

        Assert.Equal(CliRunner.InvalidOption, code);
        Assert.Contains(named, errors);
    }
}
