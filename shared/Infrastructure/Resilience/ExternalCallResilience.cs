using System.ComponentModel.DataAnnotations;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace FlMicroservices.Infrastructure.Resilience;

/// <summary>Settings of the pipeline around every call to an external system (broker, store); bound from "Resilience".</summary>
public sealed class ResilienceOptions
{
    public const string Section = "Resilience";

    /// <summary>Retries after the first attempt, with exponential back-off and jitter.</summary>
    [Range(0, 20)]
    public int MaxRetries { get; set; } = 4;

    [Range(typeof(TimeSpan), "00:00:00.001", "00:01:00")]
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Time limit of one attempt.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Share of failed calls over <see cref="BreakerSamplingDuration"/> that opens the circuit.</summary>
    [Range(0.01, 1.0)]
    public double BreakerFailureRatio { get; set; } = 0.5;

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    [Range(2, 10_000)]
    public int BreakerMinimumThroughput { get; set; } = 10;

    [Range(typeof(TimeSpan), "00:00:00.500", "00:10:00")]
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Builds the Polly pipeline (retry with jitter, then circuit breaker, then per-attempt timeout) used around external calls.</summary>
public static class ExternalCallResilience
{
    /// <summary>A pipeline for calls to <paramref name="system"/> that retries the exceptions <paramref name="isTransient"/> accepts.</summary>
    /// <remarks>Cancellation by the caller is never retried. The circuit breaker sits inside the retry, so an open circuit
    /// fails fast (BrokenCircuitException) and the retry's back-off gives the system time to recover.</remarks>
    public static ResiliencePipeline Create(string system, ResilienceOptions options, Func<Exception, bool> isTransient, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(isTransient);
        var handled = new PredicateBuilder().Handle<Exception>(e => e is TimeoutRejectedException or BrokenCircuitException || (e is not OperationCanceledException && isTransient(e)));
        var builder = new ResiliencePipelineBuilder { Name = system };
        if (clock is not null) builder.TimeProvider = clock;
        if (options.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = handled,
                MaxRetryAttempts = options.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.BaseDelay,
            });
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is TimeoutRejectedException || (e is not OperationCanceledException && isTransient(e))),
            FailureRatio = options.BreakerFailureRatio,
            SamplingDuration = options.BreakerSamplingDuration,
            MinimumThroughput = options.BreakerMinimumThroughput,
            BreakDuration = options.BreakDuration,
        });
        builder.AddTimeout(options.AttemptTimeout);
        return builder.Build();
    }
}
