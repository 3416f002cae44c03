using System.CommandLine;
using FlMicroservices.Cli.Commands;
using FlMicroservices.Contracts.V1;

namespace FlMicroservices.Cli.Tests;

/// <summary>`fl task create --validation` and `fl node --dataset-name`: what a task is evaluated on and what clients advertise.</summary>
[Collection("console")]
public sealed class ValidationOptionTests
{
    [Fact]
    public void Each_form_gives_its_spec()
    {
        ValidationData? Parse(string text)
        {
            Assert.True(ValidationOption.TryParse(text, seed: 7, devices: 12, samples: 100, out var spec, out var problem), problem);
            return spec;
        }

        Assert.Null(Parse("none"));
        Assert.Equal(new ValidationData { Kind = ValidationDataKind.Synthetic, Alpha = 1, Beta = 1, Seed = 7, Devices = 12, Samples = 100 }, Parse("synthetic"));
        Assert.Equal(new ValidationData { Kind = ValidationDataKind.Synthetic, Alpha = 0.5, Beta = 0, Seed = 7, Devices = 12, Samples = 100 }, Parse("synthetic:0.5,0"));
        Assert.True(Parse("synthetic-iid")!.Iid);
        Assert.Equal(new ValidationData { Kind = ValidationDataKind.Mnist, Path = "mnist", Samples = 100 }, Parse("mnist:mnist"));
        Assert.Equal(new ValidationData { Kind = ValidationDataKind.Idx, Path = "a/images", LabelsPath = "a/labels", Samples = 100 }, Parse("idx:a/images,a/labels"));
    }

    [Theory]
    [InlineData("cifar")]
    [InlineData("mnist")]
    [InlineData("synthetic:1")]
    [InlineData("synthetic:-1,1")]
    [InlineData("synthetic-iid:1,1")]
    [InlineData("idx:only-images")]
    [InlineData("none:x")]
    public void A_bad_form_is_refused_naming_the_option(string text)
    {
        Assert.False(ValidationOption.TryParse(text, 1, 30, 0, out _, out var problem));
        Assert.StartsWith($"--validation '{text}' is not valid", problem);
    }

    [Theory]
    [InlineData("task", "create", "--rabbitmq", "amqp://localhost/", "--validation", "mnist", "--validation 'mnist'")]
    [InlineData("node", "--dataset-name", "bad name", "--clients", "1", "--dataset-name 'bad name'")]
    public async Task The_commands_refuse_them_with_exit_code_2(params string[] argsAndNamed)
    {
        var error = new StringWriter();
        var original = Console.Error;
        Console.SetError(error);
        int code;
        try { code = await CliRunner.RunAsync(new RootCommand { NodeCommand.Create(), TaskCommand.Create() }, argsAndNamed[..^1]); }
        finally { Console.SetError(original); }

        Assert.Equal(CliRunner.InvalidOption, code);
        Assert.Contains(argsAndNamed[^1], error.ToString());
    }
}
