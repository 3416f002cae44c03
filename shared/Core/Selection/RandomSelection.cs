namespace FlMicroservices.Core.Selection;

/// <summary>Uniformly at random without replacement (McMahan et al. 2017): what every task did before policies existed.</summary>
public sealed class RandomSelection : ISelectionPolicy
{
    public string Name => SelectionPolicies.Random;

    public IReadOnlyList<string> Select(IReadOnlyList<ClientHistory> candidates, int count, int round, Random rng)
    {
        SelectionPolicies.Check(candidates, count, rng);
        return UniformSampler.Sample(candidates.Select(c => c.ClientId).ToArray(), count, rng);
    }
}
