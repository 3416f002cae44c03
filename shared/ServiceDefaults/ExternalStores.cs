using System.ComponentModel.DataAnnotations;
using FlMicroservices.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlMicroservices.ServiceDefaults;

/// <summary>Which stores a service uses: "Health:Store" and "Storage:ModelStore".</summary>
public sealed class StoreSelection
{
    /// <summary>"InMemory" (embedded default) or "Redis" (ConnectionStrings:redis). Configuration key Health:Store.</summary>
    [RegularExpression("^(InMemory|Redis)$", ErrorMessage = "Health:Store must be 'InMemory' or 'Redis'.")]
    public string ClientHealth { get; set; } = "InMemory";

    /// <summary>"File" (embedded default, Storage:ModelStoreRoot) or "MongoDb" (ConnectionStrings:mongodb). Configuration key Storage:ModelStore.</summary>
    [RegularExpression("^(File|MongoDb)$", ErrorMessage = "Storage:ModelStore must be 'File' or 'MongoDb'.")]
    public string Models { get; set; } = "File";

    public static StoreSelection From(IConfiguration configuration)
    {
        var selection = new StoreSelection
        {
            ClientHealth = configuration["Health:Store"] ?? "InMemory",
            Models = configuration["Storage:ModelStore"] ?? "File",
        };
        OptionsValidation.ThrowIfInvalid(selection, "Health/Storage");
        return selection;
    }
}

/// <summary>Registers the external stores chosen in configuration, before the embedded defaults fill the rest.</summary>
internal static partial class ExternalStores
{
    public static void Add(IServiceCollection services, IConfiguration configuration)
    {
        var selection = StoreSelection.From(configuration);
        if (selection.ClientHealth == "Redis") AddRedis(services, configuration, Required(configuration, "redis", "Health:Store is Redis"));
        if (selection.Models == "MongoDb") AddMongo(services, configuration, Required(configuration, "mongodb", "Storage:ModelStore is MongoDb"));
    }

    private static string Required(IConfiguration configuration, string name, string why)
    {
        var value = configuration.GetConnectionString(name);
        if (string.IsNullOrWhiteSpace(value))
            throw new InvalidOperationException($"Invalid configuration: {why} but ConnectionStrings:{name} is not set.");
        return value;
    }

    static partial void AddRedisCore(IServiceCollection services, IConfiguration configuration, string connectionString, ref bool added);

    static partial void AddMongoCore(IServiceCollection services, IConfiguration configuration, string connectionString, ref bool added);

    private static void AddRedis(IServiceCollection services, IConfiguration configuration, string connectionString)
    {
        var added = false;
        AddRedisCore(services, configuration, connectionString, ref added);
        if (!added) throw new InvalidOperationException("Invalid configuration: this build has no Redis adapter.");
    }

    private static void AddMongo(IServiceCollection services, IConfiguration configuration, string connectionString)
    {
        var added = false;
        AddMongoCore(services, configuration, connectionString, ref added);
        if (!added) throw new InvalidOperationException("Invalid configuration: this build has no MongoDB adapter.");
    }
}
