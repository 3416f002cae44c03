using FlMicroservices.Simulation;

namespace FlMicroservices.Cli;

/// <summary>Plots test accuracy (left axis) and test loss (right axis) per round to a PNG.</summary>
public static class AccuracyPlot
{
    public static void Save(string path, SimulationResult result)
    {
        var rounds = result.PerRound.Select(r => (double)r.Round).ToArray();
        var accuracy = result.PerRound.Select(r => r.Accuracy ?? double.NaN).ToArray();
        var loss = result.PerRound.Select(r => r.Loss ?? double.NaN).ToArray();
        var plot = new ScottPlot.Plot();
        if (rounds.Length > 0)
        {
            var accuracyLine = plot.Add.Scatter(rounds, accuracy);
            accuracyLine.LegendText = "test accuracy";
            var lossLine = plot.Add.Scatter(rounds, loss);
            lossLine.LegendText = "test loss";
            lossLine.Axes.YAxis = plot.Axes.Right;
            plot.ShowLegend();
        }
        plot.Title($"{result.Model}, {result.Clients} clients: test accuracy and loss per round");
        plot.XLabel("round");
        plot.YLabel("accuracy");
        plot.Axes.Right.Label.Text = "loss";
        plot.SavePng(path, 900, 540);
    }
}
