namespace FlMicroservices.AppHost;

/// <summary>
/// The deployment's broker accounts, made by local/broker-accounts.sh (over scripts/broker-accounts.sh) before the broker
/// starts: the definitions it imports, and per account a folder with only that account's password (docs/security.md).
/// </summary>
internal sealed record BrokerAccountFiles(IResourceBuilder<ExecutableResource> Generator, string Root)
{
    /// <summary>The users and permissions the broker imports at start (load_definitions).</summary>
    public string Definitions => Path.Combine(Root, "rabbitmq-definitions.json");

    /// <summary>The Messaging__AccountsDirectory of <paramref name="account"/>'s processes.</summary>
    public string Folder(string account) => Path.Combine(Root, "accounts", account);

    /// <summary>The resource that writes the files (it runs once and exits); the administrator is the deployment's RabbitMQ user.</summary>
    public static BrokerAccountFiles Add(IDistributedApplicationBuilder builder, AppHostSettings settings, Credentials credentials)
    {
        var root = settings.Folder("broker");
        var generator = builder.AddExecutable("broker-accounts", "bash", settings.DataRoot, Path.Combine(builder.AppHostDirectory, "local", "broker-accounts.sh"))
            .WithEnvironment("FL_BROKER_ACCOUNTS", root)
            .WithEnvironment("FL_BROKER_ADMIN_USER", credentials.RabbitMqUser)
            .WithEnvironment("FL_BROKER_ADMIN_PASSWORD", credentials.RabbitMqPassword);
        return new BrokerAccountFiles(generator, root);
    }
}
