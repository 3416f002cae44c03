using FlMicroservices.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace FlMicroservices.Infrastructure.Tests;

/// <summary>Secrets read from files named like environment variables, as Compose and Kubernetes mount them.</summary>
public sealed class SecretFilesTests
{
    [Fact]
    public void Each_file_in_FL_SECRETS_DIR_is_a_setting_that_overrides_the_environment()
    {
        var folder = Directory.CreateTempSubdirectory("fl-secrets-").FullName;
        var before = Environment.GetEnvironmentVariable("FL_SECRETS_DIR");
        try
        {
            File.WriteAllText(Path.Combine(folder, "ConnectionStrings__rabbitmq"), "amqps://fl:s3cret@rabbitmq:5671/");
            File.WriteAllText(Path.Combine(folder, "UpdateStream__Security__SaslPassword"), "kafka-pw");
            Environment.SetEnvironmentVariable("FL_SECRETS_DIR", folder);

            var configuration = new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:rabbitmq"] = "amqp://guest:guest@localhost:5672/" })
                .AddFlSecretFiles()
                .Build();

            Assert.Equal("amqps://fl:s3cret@rabbitmq:5671/", configuration.GetConnectionString("rabbitmq"));
            Assert.Equal("kafka-pw", configuration["UpdateStream:Security:SaslPassword"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("FL_SECRETS_DIR", before);
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_missing_secrets_folder_adds_nothing()
    {
        var before = Environment.GetEnvironmentVariable("FL_SECRETS_DIR");
        try
        {
            Environment.SetEnvironmentVariable("FL_SECRETS_DIR", Path.Combine(Path.GetTempPath(), $"no-secrets-{Guid.NewGuid():N}"));

            var configuration = new ConfigurationBuilder().AddFlSecretFiles().Build();

            Assert.Empty(configuration.AsEnumerable());
        }
        finally
        {
            Environment.SetEnvironmentVariable("FL_SECRETS_DIR", before);
        }
    }
}
