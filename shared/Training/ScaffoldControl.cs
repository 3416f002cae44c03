namespace FlMicroservices.Training;

/// <summary>
/// The client side of SCAFFOLD (Karimireddy et al. 2020, Algorithm 1, option II): the control correction a client trains
/// with and its next control variate.
/// </summary>
/// <remarks>
/// A client i holds a control variate c_i (zeros before its first round). In a round with global model x and server control
/// variate c it runs K SGD steps with learning rate η on the corrected gradient g(y) − c_i + c (pass
/// <see cref="Correction"/> as <see cref="TrainingSettings.ControlCorrection"/>), reaching y, then sets
/// c_i⁺ = c_i − c + (x − y) / (K·η) (<see cref="NextClientControl"/>) and sends [y − x ; c_i⁺ − c_i]. With full-batch steps and
/// K = 1 this is option I: c_i⁺ is the client's gradient at x. Arithmetic is in double, rounded to float once per value.
/// </remarks>
public static class ScaffoldControl
{
    /// <summary>c − c_i, the correction added to every local gradient.</summary>
    public static float[] Correction(ReadOnlySpan<float> serverControl, ReadOnlySpan<float> clientControl)
    {
        SameLength(serverControl.Length, clientControl.Length, nameof(clientControl));
        var correction = new float[serverControl.Length];
        for (var i = 0; i < correction.Length; i++) correction[i] = serverControl[i] - clientControl[i];
        return correction;
    }

    /// <summary>c_i⁺ = c_i − c + (x − y) / (K·η); with no step taken (K = 0: no local data) c_i⁺ = c_i.</summary>
    /// <param name="clientControl">c_i.</param>
    /// <param name="serverControl">c, the server control variate of the round's model.</param>
    /// <param name="global">x, the round's model weights.</param>
    /// <param name="trained">y, the weights after local training.</param>
    /// <param name="steps">K, the SGD steps taken (<see cref="TrainResult.Steps"/>).</param>
    /// <param name="learningRate">η, the local learning rate.</param>
    public static float[] NextClientControl(ReadOnlySpan<float> clientControl, ReadOnlySpan<float> serverControl,
        ReadOnlySpan<float> global, ReadOnlySpan<float> trained, int steps, double learningRate)
    {
        var n = clientControl.Length;
        SameLength(n, serverControl.Length, nameof(serverControl));
        SameLength(n, global.Length, nameof(global));
        SameLength(n, trained.Length, nameof(trained));
        ArgumentOutOfRangeException.ThrowIfNegative(steps);
        if (!(learningRate > 0) || !double.IsFinite(learningRate))
            throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "The learning rate must be positive and finite.");
        var next = new float[n];
        if (steps == 0)
        {
            clientControl.CopyTo(next);
            return next;
        }
        var scale = 1.0 / (steps * learningRate);
        for (var i = 0; i < n; i++)
            next[i] = (float)((double)clientControl[i] - serverControl[i] + ((double)global[i] - trained[i]) * scale);
        return next;
    }

    /// <summary>The update a SCAFFOLD client sends: [y − x ; c_i⁺ − c_i] (2P values).</summary>
    public static float[] Delta(ReadOnlySpan<float> global, ReadOnlySpan<float> trained, ReadOnlySpan<float> clientControl, ReadOnlySpan<float> nextClientControl)
    {
        var n = global.Length;
        SameLength(n, trained.Length, nameof(trained));
        SameLength(n, clientControl.Length, nameof(clientControl));
        SameLength(n, nextClientControl.Length, nameof(nextClientControl));
        var delta = new float[2 * n];
        for (var i = 0; i < n; i++)
        {
            delta[i] = trained[i] - global[i];
            delta[n + i] = nextClientControl[i] - clientControl[i];
        }
        return delta;
    }

    private static void SameLength(int expected, int actual, string name)
    {
        if (actual != expected) throw new ArgumentException($"{name} holds {actual} values; {expected} expected.", name);
    }
}
