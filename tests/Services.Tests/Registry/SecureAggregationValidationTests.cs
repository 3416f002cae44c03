using System.Text.Json;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Registry;

namespace FlMicroservices.Services.Tests.Registry;

/// <summary>The registry's checks of a task's secure-aggregation settings: each problem names the setting and its value.</summary>
public sealed class SecureAggregationValidationTests
{
    private static readonly TaskSpec Secure = new()
    {
        ModelName = "mlp",
        SampleShape = [1, 28, 28],
        ClassCount = 10,
        Rounds = 5,
        MinClientsPerRound = 3,
        Training = new TrainingConfig(1, 10, 0.1),
        Privacy = PrivacyConfig.None with { SecureAggregation = SecureAggregationMode.SecAggPlus, SecureAggregationClip = 0.5 },
    };

    private static string SingleProblem(TaskSpec spec) => Assert.Single(TaskSpecValidator.Validate("task-1", spec));

    [Fact]
    public void Valid_secure_settings_have_no_problems()
    {
        Assert.Empty(TaskSpecValidator.Validate("task-1", Secure));
        Assert.Empty(TaskSpecValidator.Validate("task-1", Secure with
        {
            Strategy = "fedadam",
            Privacy = Secure.Privacy with { SecureAggregationThreshold = 4, SecureAggregationDegree = 6 },
        }));
        // Local DP (on the nodes) combines with secure aggregation.
        Assert.Empty(TaskSpecValidator.Validate("task-1", Secure with
        {
            Privacy = new PrivacyConfig(true, 1.0, 1.0, 10, 1e-5)
            {
                Mechanism = PrivacyMechanism.Local,
                SecureAggregation = SecureAggregationMode.SecAgg,
                SecureAggregationClip = 0.1,
            },
        }));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_bad_clip_bound_is_named(double clip)
    {
        var problem = SingleProblem(Secure with { Privacy = Secure.Privacy with { SecureAggregationClip = clip } });
        Assert.StartsWith($"Privacy.SecureAggregationClip {clip}", problem);
    }

    [Fact]
    public void Each_incompatible_setting_is_named()
    {
        Assert.StartsWith("Privacy.SecureAggregationThreshold 1", SingleProblem(Secure with { Privacy = Secure.Privacy with { SecureAggregationThreshold = 1 } }));
        Assert.StartsWith("Privacy.SecureAggregationDegree 1", SingleProblem(Secure with { Privacy = Secure.Privacy with { SecureAggregationDegree = 1 } }));
        Assert.Contains("SecAggPlus only", SingleProblem(Secure with
        {
            Privacy = Secure.Privacy with { SecureAggregation = SecureAggregationMode.SecAgg, SecureAggregationDegree = 4 },
        }));
        Assert.StartsWith("MinClientsPerRound 2", SingleProblem(Secure with { MinClientsPerRound = 2 }));
        Assert.StartsWith("Strategy 'krum'", SingleProblem(Secure with { Strategy = "krum", MinClientsPerRound = 6 }));
        Assert.StartsWith("StrategyParameters 'max-norm'", SingleProblem(Secure with { StrategyParameters = new() { ["max-norm"] = "2" } }));
        Assert.StartsWith("StrategyParameters 'outlier-factor'", SingleProblem(Secure with { StrategyParameters = new() { ["outlier-factor"] = "3" } }));
        Assert.Contains("central differential privacy", SingleProblem(Secure with
        {
            Privacy = new PrivacyConfig(true, 1.0, 1.0, 10, 1e-5) { SecureAggregation = SecureAggregationMode.SecAgg, SecureAggregationClip = 1 },
        }));
        Assert.StartsWith("Privacy.SecureAggregation 7 is unknown", SingleProblem(Secure with
        {
            Privacy = Secure.Privacy with { SecureAggregation = (SecureAggregationMode)7 },
        }));
        Assert.Contains("need Privacy.SecureAggregation", SingleProblem(Secure with { Privacy = PrivacyConfig.None with { SecureAggregationClip = 1 } }));
    }

    [Fact]
    public void The_setting_travels_as_optional_json_fields_and_old_specs_read_as_off()
    {
        var json = JsonSerializer.Serialize(Secure.Privacy, new JsonSerializerOptions(JsonSerializerDefaults.Web));
        Assert.Contains("\"secureAggregation\":\"SecAggPlus\"", json);
        Assert.DoesNotContain("isSecureAggregation", json);
        var back = JsonSerializer.Deserialize<PrivacyConfig>(json, new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.True(back.IsSecureAggregation);
        Assert.Equal(0.5, back.SecureAggregationClip);

        var old = JsonSerializer.Deserialize<PrivacyConfig>("""{"enabled":false,"noiseMultiplier":0,"clippingNorm":0,"epsilonBudget":0,"delta":0}""",
            new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal(SecureAggregationMode.None, old.SecureAggregation);
        Assert.False(old.IsSecureAggregation);
    }
}
