namespace ReplicaRouting.Internal;

/// <summary>
/// The per-data-source caps that keep tokens from exhausting the servers: concurrent causal waits (each holds a replica
/// connection up to the causal read timeout) and concurrent primary fallbacks of causal reads (each holds a primary
/// connection). Writes never pass through here. Sheds are counted in metrics and logged at most once per interval.
/// </summary>
internal sealed class LoadShedding(RoutingConfiguration configuration)
{
    private static readonly TimeSpan ReportInterval = TimeSpan.FromSeconds(10);

    private readonly ConcurrencyLimit _waits = new(configuration.MaxConcurrentCausalWaits);
    private readonly ConcurrencyLimit _fallbacks = new(configuration.MaxConcurrentPrimaryFallbacks);
    private readonly ReportLimiter _waitsShed = new(configuration.TimeProvider, ReportInterval);
    private readonly ReportLimiter _fallbacksShed = new(configuration.TimeProvider, ReportInterval);

    public ConcurrencyLimit CausalWaits => _waits;

    public ConcurrencyLimit PrimaryFallbacks => _fallbacks;

    /// <summary>A slot for one causal wait; false (counted, logged) when the cap is reached: the read goes to the primary.</summary>
    public bool TryBeginCausalWait()
    {
        if (_waits.TryEnter())
        {
            Telemetry.CausalWaitsActive(configuration.ClusterId, 1);
            return true;
        }

        Telemetry.Shed(configuration.ClusterId, "causal_wait");
        if (_waitsShed.ShouldReport(out var count))
            Log.CausalWaitShed(configuration.Logger, count, _waits.Limit);
        return false;
    }

    // The gauge goes down before the slot is freed (and up after it is taken), so that it never shows more than the cap.
    public void EndCausalWait()
    {
        Telemetry.CausalWaitsActive(configuration.ClusterId, -1);
        _waits.Exit();
    }

    /// <summary>A slot for one connection's primary fallback, or <see cref="ReplicaRoutingOverloadedException"/> (counted, logged): the read is not sent.</summary>
    public void BeginPrimaryFallback(RoutingNode primary)
    {
        if (_fallbacks.TryEnter())
        {
            Telemetry.PrimaryFallbacksActive(configuration.ClusterId, 1);
            return;
        }

        Telemetry.Shed(configuration.ClusterId, "primary_fallback");
        if (_fallbacksShed.ShouldReport(out var count))
            Log.PrimaryFallbackShed(configuration.Logger, count, _fallbacks.Limit, primary.Endpoint);
        throw new ReplicaRoutingOverloadedException(
            $"The read needs the session's recent writes, which no replica could serve yet, and {nameof(ReplicaRoutingOptions.MaxConcurrentPrimaryFallbacks)} " +
            $"({_fallbacks.Limit}; connection string key '{RoutingKeys.MaxConcurrentPrimaryFallbacks}') connections already read the primary " +
            $"{primary.Endpoint} for such reads. It was not sent; retry later, or raise the limit.",
            nameof(ReplicaRoutingOptions.MaxConcurrentPrimaryFallbacks),
            _fallbacks.Limit);
    }

    public void EndPrimaryFallback()
    {
        Telemetry.PrimaryFallbacksActive(configuration.ClusterId, -1);
        _fallbacks.Exit();
    }
}
