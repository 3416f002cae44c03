using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Infrastructure.Stores.Mongo;

/// <summary>Settings of the MongoDB model store; bound from the "Mongo" configuration section.</summary>
/// <remarks>The server's address comes from the connection string "mongodb" (ConnectionStrings:mongodb), a mongodb:// URL.</remarks>
public sealed class MongoOptions
{
    public const string Section = "Mongo";

    /// <summary>The database holding the collections model_versions and model_current and the GridFS bucket "weights".</summary>
    [Required(AllowEmptyStrings = false)]
    [RegularExpression(@"^[A-Za-z0-9_\-]{1,63}$", ErrorMessage = "Mongo:Database must be 1 to 63 characters from A-Z, a-z, 0-9, '_' and '-'.")]
    public string Database { get; set; } = "fl";

    /// <summary>
    /// PEM file of the CA that signed the server's certificate, for a TLS connection (tls=true in the URL) to a server with a
    /// private CA; the system store checks it when unset.
    /// </summary>
    public string? TlsCaCertificate { get; set; }
}
