namespace FlMicroservices.Core.Compression;

/// <summary>A client's error-feedback memory (Seide et al. 2014; Stich et al. 2018): what compression did not send is added to its next update.</summary>
/// <remarks>
/// <see cref="Correct"/> adds the residual to a fresh update; once the corrected update is compressed, <see cref="Keep"/> stores
/// corrected − sent. With top-k every element is either sent whole or kept whole, so sent + residual equals the corrected
/// update exactly, and over any number of rounds the sum of what was sent plus the residual is the sum of the updates.
/// </remarks>
public sealed class ErrorFeedback
{
    private float[] _residual = [];

    /// <summary>The residual not yet sent (empty before the first update).</summary>
    public ReadOnlySpan<float> Residual => _residual;

    /// <summary>Error feedback that carries <paramref name="residual"/> (one kept from an earlier process) into the next update.</summary>
    /// <exception cref="ArgumentException">A residual value is not finite.</exception>
    public static ErrorFeedback Resume(ReadOnlySpan<float> residual)
    {
        foreach (var value in residual)
            if (!float.IsFinite(value)) throw new ArgumentException("A kept residual must hold finite values only.", nameof(residual));
        return new ErrorFeedback { _residual = residual.ToArray() };
    }

    /// <summary>The update plus the residual, as a new array; a residual of another length (a new model shape) is dropped.</summary>
    public float[] Correct(ReadOnlySpan<float> update)
    {
        if (_residual.Length != update.Length) _residual = new float[update.Length];
        var corrected = new float[update.Length];
        for (var i = 0; i < corrected.Length; i++) corrected[i] = update[i] + _residual[i];
        return corrected;
    }

    /// <summary>Stores what <paramref name="corrected"/> holds beyond what was <paramref name="sent"/>.</summary>
    public void Keep(ReadOnlySpan<float> corrected, ReadOnlySpan<float> sent)
    {
        if (corrected.Length != sent.Length) throw new ArgumentException("The sent update must be as long as the corrected one.", nameof(sent));
        if (_residual.Length != corrected.Length) _residual = new float[corrected.Length];
        for (var i = 0; i < corrected.Length; i++) _residual[i] = corrected[i] - sent[i];
    }
}
