using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.Infrastructure.Stores;

/// <summary>Which stores a process uses: configuration keys "Health:Store" and "Storage:ModelStore".</summary>
public sealed class StoreSelection
{
    /// <summary>"InMemory" (embedded default) or "Redis" (ConnectionStrings:redis).</summary>
    [RegularExpression("^(InMemory|Redis)$", ErrorMessage = "Health:Store must be 'InMemory' or 'Redis'.")]
    public string ClientHealth { get; set; } = "InMemory";

    /// <summary>"File" (embedded default, Storage:ModelStoreRoot) or "MongoDb" (ConnectionStrings:mongodb).</summary>
    [RegularExpression("^(File|MongoDb)$", ErrorMessage = "Storage:ModelStore must be 'File' or 'MongoDb'.")]
    public string Models { get; set; } = "File";

    public static StoreSelection From(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var selection = new StoreSelection
        {
            ClientHealth = configuration["Health:Store"] ?? "InMemory",
            Models = configuration["Storage:ModelStore"] ?? "File",
        };
        OptionsValidation.ThrowIfInvalid(selection, "Health:Store/Storage:ModelStore");
        return selection;
    }
}

/// <summary>Every adapter of a process, chosen by configuration alone: the external stores named there, then the rest.</summary>
public static class AdapterSelection
{
    /// <summary>
    /// Redis when Health:Store=Redis, MongoDB when Storage:ModelStore=MongoDb (each with its connection string, checked now),
    /// then <see cref="InfrastructureExtensions.AddFlInfrastructure"/> for the update stream and the embedded defaults.
    /// </summary>
    public static IServiceCollection AddFlStoresAndStreams(this IServiceCollection services, IConfiguration configuration)
    {
        var selection = StoreSelection.From(configuration);
        if (selection.ClientHealth == "Redis") services.AddRedisClientHealthStore(Required(configuration, "redis", "Health:Store is Redis"), configuration);
        if (selection.Models == "MongoDb") services.AddMongoModelStore(Required(configuration, "mongodb", "Storage:ModelStore is MongoDb"), configuration);
        return services.AddFlInfrastructure(configuration);
    }

    private static string Required(IConfiguration configuration, string name, string why)
    {
        var value = configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(value))
            throw new InvalidOperationException($"Invalid configuration: {why} but ConnectionStrings:{name} is not set.");
        return value;
    }
}
