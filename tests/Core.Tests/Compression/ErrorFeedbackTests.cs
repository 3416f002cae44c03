using FlMicroservices.Core.Compression;

namespace FlMicroservices.Core.Tests.Compression;

public class ErrorFeedbackTests
{
    [Fact]
    public void What_was_sent_plus_the_residual_is_the_sum_of_the_updates()
    {
        // Multiples of 1/64 below 2^10 add exactly in float32, so the identity is checked bit for bit.
        var random = new Random(3);
        var feedback = new ErrorFeedback();
        var sparsifier = new TopKSparsifier(0.1);
        var inputs = new float[50];
        var sentTotal = new float[50];
        for (var round = 0; round < 20; round++)
        {
            var update = Enumerable.Range(0, 50).Select(_ => random.Next(-64, 65) / 64f).ToArray();
            for (var i = 0; i < 50; i++) inputs[i] += update[i];
            var corrected = feedback.Correct(update);
            var sent = new float[50];
            sparsifier.Encode(corrected, sent);
            feedback.Keep(corrected, sent);
            for (var i = 0; i < 50; i++) sentTotal[i] += sent[i];
            Assert.Equal(5, sent.Count(v => v != 0));
        }
        var residual = feedback.Residual.ToArray();
        Assert.Equal(inputs, sentTotal.Zip(residual, (s, r) => s + r).ToArray());
        Assert.Contains(residual, r => r != 0); // something is still held back
    }

    [Fact]
    public void A_small_element_is_sent_once_its_residual_has_grown()
    {
        var feedback = new ErrorFeedback();
        var sparsifier = new TopKSparsifier(0.5);
        float[] update = [1f, 0.4f];
        var sentSecond = new List<float>();
        for (var round = 0; round < 3; round++)
        {
            var corrected = feedback.Correct(update);
            var sent = new float[2];
            sparsifier.Encode(corrected, sent);
            feedback.Keep(corrected, sent);
            sentSecond.Add(sent[1]);
        }
        // 0.4 is held in rounds 1 and 2 (1 > 0.4, 1 > 0.8), then 1.2 beats the fresh 1 in round 3.
        Assert.Equal([0f, 0f, 1.2f], sentSecond, (a, b) => Math.Abs(a - b) < 1e-6);
    }

    [Fact]
    public void A_residual_of_another_shape_is_dropped()
    {
        var feedback = new ErrorFeedback();
        feedback.Keep([1f, 2f], [0f, 2f]);
        Assert.Equal([5f, 5f, 5f], feedback.Correct([5f, 5f, 5f]));
    }
}
