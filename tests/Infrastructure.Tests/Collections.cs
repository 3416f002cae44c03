using FlMicroservices.Testing;

namespace FlMicroservices.Infrastructure.Tests;

/// <summary>One Redis server for every Redis test class of this assembly.</summary>
[CollectionDefinition(RedisFixture.Collection)]
public sealed class RedisCollection : ICollectionFixture<RedisFixture>;

/// <summary>One RabbitMQ node for the fixture tests.</summary>
[CollectionDefinition(RabbitMqFixture.Collection)]
public sealed class RabbitMqCollection : ICollectionFixture<RabbitMqFixture>;

/// <summary>A MongoDB server when one can be had (see <see cref="MongoFactAttribute"/>).</summary>
[CollectionDefinition(MongoFixture.Collection)]
public sealed class MongoCollection : ICollectionFixture<MongoFixture>;
