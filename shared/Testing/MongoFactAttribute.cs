using Xunit;

namespace FlMicroservices.Testing;

/// <summary>A fact that needs a MongoDB server: skipped, with <see cref="ServerFixtures.MongoSkipMessage"/>, when FL_MONGO_URL is
/// unset and no Docker engine is reachable (no MongoDB server package exists for the build machines).</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class MongoFactAttribute : FactAttribute
{
    public MongoFactAttribute()
    {
        if (ServerFixtures.MongoUnavailableReason is not null) Skip = ServerFixtures.MongoSkipMessage;
    }
}
