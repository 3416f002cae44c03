using FlMicroservices.Contracts.V1;
using FlMicroservices.Selector;

namespace FlMicroservices.Services.Tests.Selector;

public class SelectionHistoryTests
{
    [Fact]
    public void Round_times_come_from_contributions_and_from_declines_that_say_how_long_they_would_have_taken()
    {
        RoundRecord[] rounds =
        [
            new("t", 1, Participants: ["fast", "slow", "asleep"],
                Contributors: [new Contribution("fast", 10, 1.0, 0.9, Seconds: 12), new Contribution("slow", 20, 1.0, 0.8, Seconds: 80)],
                Declined: [new DeclinedUpdate("asleep", "outside its availability window (simulated clock)")]),
            new("t", 2, Participants: ["fast", "slow"],
                Contributors: [new Contribution("fast", 10, 1.0, 0.7, Seconds: 11)],
                Declined: [new DeclinedUpdate("slow", "late: it would need 150 simulated seconds, the round's deadline is 120", 150)]),
        ];

        var history = SelectionHistory.Of(rounds, ["fast", "slow", "asleep", "new"]);

        Assert.Equal([11.0, 150.0], history.Take(2).Select(h => h.LastSeconds!.Value));
        Assert.Equal((2, 2, 0.8), (history[1].Selections, history[1].LastSelectedRound!.Value, history[1].LastLoss!.Value)); // its last loss stays
        Assert.Null(history[2].LastSeconds); // a decline without a time says nothing about speed
        Assert.Equal(1, history[2].Selections);
        Assert.Equal(0, history[3].Selections);
    }
}
