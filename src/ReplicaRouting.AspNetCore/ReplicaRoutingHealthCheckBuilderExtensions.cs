using Microsoft.Extensions.Diagnostics.HealthChecks;
using ReplicaRouting.AspNetCore.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers ReplicaRouting's health check.</summary>
public static class ReplicaRoutingHealthCheckBuilderExtensions
{
    /// <summary>
    /// Adds a health check that reads the topology monitor's current snapshot (no query of its own) and the topology audit
    /// (run at most every <paramref name="auditInterval"/>, default 5 minutes): <see cref="HealthStatus.Unhealthy"/> when no
    /// writable primary is known (down, every node read-only, split brain); <see cref="HealthStatus.Degraded"/> when a replica
    /// lags, is broken or unreachable, semi-sync has fallen back to async, or the audit found a warning or worse.
    /// </summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="name">The check's name.</param>
    /// <param name="tags">Tags for filtering checks, e.g. <c>"ready"</c>.</param>
    /// <param name="auditInterval">How long audit findings are reused; <see cref="TimeSpan.Zero"/> turns the audit off.</param>
    /// <param name="serviceKey">The key of a data source registered with <c>AddReplicaRouting(serviceKey, …)</c>, or <see langword="null"/> for the unkeyed one.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static IHealthChecksBuilder AddReplicaRouting(
        this IHealthChecksBuilder builder, string name = "replicarouting", IEnumerable<string>? tags = null, TimeSpan? auditInterval = null, string? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var interval = auditInterval ?? TimeSpan.FromMinutes(5);
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, TimeSpan.Zero, nameof(auditInterval));
        return builder.Add(new HealthCheckRegistration(
            name,
            sp => new ReplicaRoutingHealthCheck(
                serviceKey is null ? sp.GetRequiredService<ReplicaRouting.ReplicaRoutingDataSource>() : sp.GetRequiredKeyedService<ReplicaRouting.ReplicaRoutingDataSource>(serviceKey),
                interval,
                sp.GetService<TimeProvider>() ?? TimeProvider.System),
            failureStatus: HealthStatus.Unhealthy,
            tags));
    }
}
