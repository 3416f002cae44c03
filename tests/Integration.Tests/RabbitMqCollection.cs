using FlMicroservices.Testing;

namespace FlMicroservices.Integration.Tests;

/// <summary>One RabbitMQ broker for the messaging tests (from the environment, a container, or a local server: see ServerFixtures).</summary>
[CollectionDefinition(RabbitMqFixture.Collection)]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqFixture>;
