namespace FlMicroservices.AppHost;

/// <summary>
/// The deployment's credentials as Aspire parameters (Parameters:rabbitmq-user and so on). Passwords are secret; when not
/// set they are generated, and with containers kept in user secrets so that data volumes stay readable across runs.
/// </summary>
internal sealed record Credentials(
    IResourceBuilder<ParameterResource> RabbitMqUser,
    IResourceBuilder<ParameterResource> RabbitMqPassword,
    IResourceBuilder<ParameterResource> RedisPassword,
    IResourceBuilder<ParameterResource> MongoUser,
    IResourceBuilder<ParameterResource> MongoPassword)
{
    public static Credentials Add(IDistributedApplicationBuilder builder, bool persist) => new(
        builder.AddParameter("rabbitmq-user", "fl"),
        Password(builder, "rabbitmq-password", persist),
        Password(builder, "redis-password", persist),
        builder.AddParameter("mongodb-user", "fl"),
        Password(builder, "mongodb-password", persist));

    // Letters and digits only: the value goes into URIs and configuration files unescaped.
    private static IResourceBuilder<ParameterResource> Password(IDistributedApplicationBuilder builder, string name, bool persist) =>
        builder.AddParameter(name, new GenerateParameterDefault { MinLength = 24, Special = false }, secret: true, persist: persist);
}
