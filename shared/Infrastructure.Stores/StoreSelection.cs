using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using FlMicroservices.Infrastructure.State;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace FlMicroservices.Infrastructure.Stores;

/// <summary>Which stores a process uses: configuration keys "Health:Store", "Storage:ModelStore" and "Storage:State".</summary>
public sealed class StoreSelection
{
    /// <summary>"InMemory" (embedded default) or "Redis" (ConnectionStrings:redis).</summary>
    [RegularExpression("^(InMemory|Redis)$", ErrorMessage = "Health:Store must be 'InMemory' or 'Redis'.")]
    public string ClientHealth { get; set; } = "InMemory";

    /// <summary>"File" (embedded default, Storage:ModelStoreRoot) or "MongoDb" (ConnectionStrings:mongodb).</summary>
    [RegularExpression("^(File|MongoDb)$", ErrorMessage = "Storage:ModelStore must be 'File' or 'MongoDb'.")]
    public string Models { get; set; } = "File";

    /// <summary>"Sqlite" (embedded default), "InMemory", or "MongoDb" (ConnectionStrings:mongodb): where services keep their state.</summary>
    [RegularExpression("^(Sqlite|MongoDb|InMemory)$", ErrorMessage = "Storage:State must be 'Sqlite', 'MongoDb' or 'InMemory'.")]
    public string State { get; set; } = "Sqlite";

    public static StoreSelection From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var selection = new StoreSelection
        {
            ClientHealth = configuration["Health:Store"] ?? "InMemory",
            Models = configuration["Storage:ModelStore"] ?? "File",
            State = configuration["Storage:State"] ?? "Sqlite",
        };
        OptionsValidation.ThrowIfInvalid(selection, "Health:Store/Storage:ModelStore/Storage:State");
        return selection;
    }
}

/// <summary>Every adapter of a process, chosen by configuration alone: the external stores named there, then the rest.</summary>
public static class AdapterSelection
{
    /// <summary>
    /// Redis when Health:Store=Redis, MongoDB when Storage:ModelStore=MongoDb or Storage:State=MongoDb (each with its connection string, checked now),
    /// then <see cref="InfrastructureExtensions.AddFlInfrastructure"/> for the update stream and the embedded defaults.
    /// </summary>
    public static IServiceCollection AddFlStoresAndStreams(this IServiceCollection services, IConfiguration configuration)
    {
        var selection = StoreSelection.From(configuration);
        if (selection.ClientHealth == "Redis") services.AddRedisClientHealthStore(Required(configuration, "redis", "Health:Store is Redis"), configuration);
        if (selection.Models == "MongoDb") services.AddMongoModelStore(Required(configuration, "mongodb", "Storage:ModelStore is MongoDb"), configuration);
        if (selection.State == "MongoDb") services.AddMongoStateStores(Required(configuration, "mongodb", "Storage:State is MongoDb"), configuration);
        return services.AddFlInfrastructure(configuration);
    }

    /// <summary>Only the state stores Storage:State names (MongoDB, else the embedded ones): for a process without other adapters (the gateway's audit log).</summary>
    public static IServiceCollection AddFlStateStores(this IServiceCollection services, IConfiguration configuration)
    {
        if (StoreSelection.From(configuration).State == "MongoDb")
            return services.AddMongoStateStores(Required(configuration, "mongodb", "Storage:State is MongoDb"), configuration);
        services.TryAddSingleton(StateExtensions.DefaultFactory(configuration));
        return services;
    }

    private static string Required(IConfiguration configuration, string name, string why)
    {
        var value = configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(value))
            throw new InvalidOperationException($"Invalid configuration: {why} but ConnectionStrings:{name} is not set.");
        return value;
    }
}
