namespace FlMicroservices.Testing;

/// <summary>A RabbitMQ user to create on a test broker, with its configure, write and read permission patterns.</summary>
public sealed record BrokerUser(string Name, string Password, string Configure, string Write, string Read);
