using System.Collections.Concurrent;
using FlMicroservices.Contracts.V1;
using FlMicroservices.Core.Planning;
using FlMicroservices.Training;

namespace FlMicroservices.Node;

/// <summary>
/// The SCAFFOLD control variates c_i of this node's hosted clients, per task, kept in memory across rounds
/// (see <see cref="ScaffoldControl"/> for the algorithm).
/// </summary>
/// <remarks>
/// A client's c_i starts at zero and is replaced by c_i⁺ once its update has been submitted. It lives as long as the node
/// process: a restarted node starts its clients from zero again (SCAFFOLD still converges; the server's c then differs from
/// the mean of the c_i until the clients have refreshed theirs). c_i⁺ is kept even when the round later fails at the
/// aggregator (quorum not reached) or its model is rolled back, since the node does not learn of that; the next round then
/// corrects with a c_i that is one step ahead of the server's c. Thread-safe.
/// </remarks>
public sealed class ScaffoldClientState
{
    private readonly ConcurrentDictionary<(string Task, string Client), float[]> _controls = new();

    /// <summary>The round's SCAFFOLD context when the round's plan stores control variates in the model, otherwise null.</summary>
    /// <param name="stored">The round's global model as stored: [x ; c] for SCAFFOLD.</param>
    public ScaffoldRound? Begin(RoundStarted round, float[] stored)
    {
        ArgumentNullException.ThrowIfNull(round);
        ArgumentNullException.ThrowIfNull(stored);
        return RoundPlan.SettingsOf(round).ControlVariates ? new ScaffoldRound(this, round, stored) : null;
    }

    /// <summary>Client <paramref name="clientId"/>'s control variate c_i in task <paramref name="taskId"/> (a copy), or null before its first submission.</summary>
    public float[]? ControlOf(string taskId, string clientId) =>
        _controls.TryGetValue((taskId, clientId), out var control) ? (float[])control.Clone() : null;

    internal float[] Get(string taskId, string clientId, int length)
    {
        if (!_controls.TryGetValue((taskId, clientId), out var control)) return new float[length];
        if (control.Length != length)
            throw new InvalidOperationException(
                $"Client {clientId} holds a SCAFFOLD control variate of {control.Length} values for task {taskId}, whose model has {length}.");
        return control;
    }

    internal void Set(string taskId, string clientId, float[] control) => _controls[(taskId, clientId)] = control;
}

/// <summary>One round of SCAFFOLD on a node: the weights to train from, each client's correction, its delta and its new c_i.</summary>
public sealed class ScaffoldRound
{
    private readonly ScaffoldClientState _state;
    private readonly RoundStarted _round;
    private readonly float[] _serverControl;
    private readonly ConcurrentDictionary<string, float[]> _pending = new(StringComparer.Ordinal);

    internal ScaffoldRound(ScaffoldClientState state, RoundStarted round, float[] stored)
    {
        _state = state;
        _round = round;
        Weights = ModelLayout.WithControlVariates.Weights(stored).ToArray();
        _serverControl = ModelLayout.WithControlVariates.ControlVariates(stored).ToArray();
    }

    /// <summary>x: the model weights the clients train from (the first half of the stored model).</summary>
    public float[] Weights { get; }

    /// <summary>c − c_i for <paramref name="clientId"/>: <see cref="TrainingSettings.ControlCorrection"/>.</summary>
    public float[] CorrectionFor(string clientId) =>
        ScaffoldControl.Correction(_serverControl, _state.Get(_round.TaskId, clientId, _serverControl.Length));

    /// <summary>
    /// [y − x ; c_i⁺ − c_i] for <paramref name="clientId"/>, whose training reached <paramref name="result"/>; c_i⁺ is held until
    /// <see cref="Commit"/>.
    /// </summary>
    public float[] Delta(string clientId, TrainResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var control = _state.Get(_round.TaskId, clientId, _serverControl.Length);
        var next = ScaffoldControl.NextClientControl(control, _serverControl, Weights, result.Parameters, result.Steps, _round.Training.LearningRate);
        _pending[clientId] = next;
        return ScaffoldControl.Delta(Weights, result.Parameters, control, next);
    }

    /// <summary>Stores c_i⁺ of <paramref name="clientId"/> once its update has been submitted.</summary>
    public void Commit(string clientId)
    {
        if (_pending.TryRemove(clientId, out var next)) _state.Set(_round.TaskId, clientId, next);
    }
}
