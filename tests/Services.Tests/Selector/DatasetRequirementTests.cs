using FlMicroservices.Contracts.V1;
using FlMicroservices.Infrastructure.Health;
using FlMicroservices.Selector;

namespace FlMicroservices.Services.Tests.Selector;

public class DatasetRequirementTests
{
    private static readonly TaskSpec MnistTask = new()
    {
        ModelName = "mlp",
        SampleShape = [1, 28, 28],
        ClassCount = 10,
        Rounds = 1,
        Training = new TrainingConfig(1, 10, 0.1),
        Validation = new ValidationData { Kind = ValidationDataKind.Mnist, Path = "mnist" },
    };

    private static ClientHealth Client(string id, params ClientDataset[]? datasets) =>
        new(id, ClientStatus.Healthy, DateTimeOffset.UtcNow, 100, 0, 1 << 30, datasets);

    private static readonly ClientDataset MnistData = new("mnist", [1, 28, 28], 10, 600);
    private static readonly ClientDataset SyntheticData = new("synthetic", [60], 10, 150);

    [Fact]
    public void The_requirement_is_derived_from_the_spec()
    {
        Assert.Equal("dataset mnist [1,28,28]x10", DatasetRequirement.For(MnistTask).ToString());
        Assert.Equal("dataset synthetic [60]x10", DatasetRequirement.For(MnistTask with
        {
            SampleShape = [60],
            Validation = new ValidationData { Kind = ValidationDataKind.Synthetic },
        }).ToString());
        Assert.Equal("a data set [1,28,28]x10", DatasetRequirement.For(MnistTask with { Validation = null }).ToString());
        Assert.Equal("dataset fashion [1,28,28]x10", DatasetRequirement.For(MnistTask with { Dataset = "fashion" }).ToString());
    }

    [Fact]
    public void Only_a_client_with_a_data_set_of_that_name_shape_and_class_count_matches()
    {
        var requirement = DatasetRequirement.For(MnistTask);

        Assert.True(requirement.Accepts(Client("a", MnistData)));
        Assert.True(requirement.Accepts(Client("b", SyntheticData, MnistData)));
        Assert.False(requirement.Accepts(Client("c", SyntheticData)));
        Assert.False(requirement.Accepts(Client("d", MnistData with { Name = "fashion" })));
        Assert.False(requirement.Accepts(Client("e", MnistData with { SampleShape = [784] })));
        Assert.False(requirement.Accepts(Client("f", MnistData with { ClassCount = 2 })));
        Assert.False(requirement.Accepts(Client("g")));
        Assert.True(requirement.Accepts(Client("legacy", null)), "a client that advertised nothing (an old registration) matches any task");
    }

    [Fact]
    public void The_index_key_finds_exactly_the_clients_the_requirement_accepts()
    {
        ClientDataset[] sets = [MnistData, SyntheticData, MnistData with { Name = "fashion" }, MnistData with { Name = "*" }, MnistData with { Name = "a|b" },
            MnistData with { SampleShape = [784] }, MnistData with { ClassCount = 2 }, SyntheticData with { Name = "mnist" }];
        var clients = new List<ClientHealth> { Client("legacy", null) };
        for (var i = 0; i < sets.Length; i++)
        {
            clients.Add(Client($"one-{i}", sets[i]));
            for (var j = i + 1; j < sets.Length; j++) clients.Add(Client($"two-{i}-{j}", sets[i], sets[j]));
        }
        DatasetRequirement[] requirements = [.. sets.Select(d => new DatasetRequirement(d.Name, d.SampleShape, d.ClassCount)),
            .. sets.Select(d => new DatasetRequirement(null, d.SampleShape, d.ClassCount)), new DatasetRequirement("1:*", [1, 28, 28], 10)];

        foreach (var requirement in requirements)
            foreach (var client in clients)
                Assert.True(requirement.Accepts(client) == DatasetIndex.Holds(client.Datasets, requirement.IndexKey), $"{requirement} and {client.ClientId}");
    }

    [Fact]
    public void Without_a_name_any_data_set_of_the_shape_matches()
    {
        var requirement = DatasetRequirement.For(MnistTask with { Validation = null });

        Assert.True(requirement.Accepts(Client("a", MnistData with { Name = "fashion" })));
        Assert.False(requirement.Accepts(Client("b", SyntheticData)));
    }

    [Fact]
    public async Task The_selector_keeps_only_capable_clients_in_the_healthy_order()
    {
        var store = new InMemoryClientHealthStore();
        foreach (var client in new[] { Client("m-2", MnistData), Client("s-1", SyntheticData), Client("m-1", MnistData), Client("s-2", SyntheticData) })
            await store.UpsertAsync(client, CancellationToken.None);
        IClientHealthStore indexed = store;
        var mnist = await indexed.GetHealthyHoldingAsync(TimeSpan.FromMinutes(1), DatasetRequirement.For(MnistTask).IndexKey, CancellationToken.None);
        var synthetic = await indexed.GetHealthyHoldingAsync(TimeSpan.FromMinutes(1),
            DatasetRequirement.For(MnistTask with { SampleShape = [60], Dataset = "synthetic" }).IndexKey, CancellationToken.None);

        Assert.Equal(["m-1", "m-2"], mnist);
        Assert.Equal(["s-1", "s-2"], synthetic);
    }
}
