namespace FlMicroservices.Core.Aggregation;

/// <summary>A server optimizer's per-parameter state (momentum, moments): created on the first step, sized to the model for good.</summary>
internal static class ServerState
{
    /// <summary>Refuses a round over a model of another size than the state was built for.</summary>
    public static void CheckSize(float[]? state, int parameterCount, string strategy)
    {
        if (state is not null && state.Length != parameterCount)
            throw new InvalidOperationException(
                $"{strategy} keeps optimizer state for {state.Length} parameters, but the round has {parameterCount}; a task's model cannot change size.");
    }

    /// <summary>The state, created filled with <paramref name="initial"/> on first use.</summary>
    public static float[] Get(ref float[]? state, int parameterCount, float initial, string strategy)
    {
        CheckSize(state, parameterCount, strategy);
        if (state is null)
        {
            state = new float[parameterCount];
            if (initial != 0) state.AsSpan().Fill(initial);
        }
        return state;
    }
}
