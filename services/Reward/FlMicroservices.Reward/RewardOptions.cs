using System.ComponentModel.DataAnnotations;

namespace FlMicroservices.Reward;

/// <summary>Reward settings; bound from the "Reward" configuration section.</summary>
public sealed class RewardOptions
{
    public const string Section = "Reward";

    /// <summary>Tokens shared among a successful round's contributors.</summary>
    [Range(typeof(decimal), "0", "1000000000")]
    public decimal TokensPerRound { get; set; } = 100m;
}
