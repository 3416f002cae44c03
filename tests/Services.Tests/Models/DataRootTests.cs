using FlMicroservices.Infrastructure;
using Microsoft.Extensions.Configuration;

namespace FlMicroservices.Services.Tests.Models;

public sealed class DataRootTests
{
    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();

    [Fact]
    public void Relative_paths_resolve_under_Storage_Root_never_the_current_directory()
    {
        var root = Path.Combine(Path.GetTempPath(), "fl-root-test");
        var settings = Settings((DataRoot.Key, root));

        Assert.Equal(Path.Combine(root, "models"), DataRoot.Resolve(settings, "models"));
        Assert.Equal(Path.Combine(root, "ledger", "a"), DataRoot.Resolve(settings, "ledger/a"));
        Assert.Equal("/srv/fl/models", DataRoot.Resolve(settings, "/srv/fl/models"));
        Assert.Null(DataRoot.Resolve(settings, " "));
    }

    [Fact]
    public void Without_settings_the_root_is_FL_HOME_or_a_folder_in_the_home_directory()
    {
        var expected = Environment.GetEnvironmentVariable(DataRoot.EnvironmentVariable) is { Length: > 0 } home
            ? home
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".fl");

        Assert.Equal(Path.GetFullPath(expected), DataRoot.Of(Settings()));
        Assert.True(Path.IsPathFullyQualified(DataRoot.Resolve(Settings(), "models")!));
    }

    [Fact]
    public void A_relative_root_is_refused_naming_the_setting()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DataRoot.Of(Settings((DataRoot.Key, "data"))));

        Assert.StartsWith("Invalid configuration", error.Message);
        Assert.Contains("Storage:Root", error.Message);
    }
}
