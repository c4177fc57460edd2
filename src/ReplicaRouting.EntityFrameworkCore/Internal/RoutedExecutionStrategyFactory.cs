// Replacing Pomelo services is what a provider add-on does: it builds on Pomelo's pubternal types (pinned to 9.0.x).
#pragma warning disable EF1001

using System.Reflection;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Pomelo.EntityFrameworkCore.MySql.Storage.Internal;

namespace ReplicaRouting.EntityFrameworkCore.Internal;

/// <summary>
/// Makes <c>EnableRetryOnFailure</c> retry what a routed connection reports during a failover: Pomelo's retrying strategy
/// only looks at <see cref="MySqlConnector.MySqlException"/>, so it is swapped for a <see cref="ReplicaRoutingRetryingExecutionStrategy"/>
/// with the same settings. Any other strategy (the default, or one the application built itself) is left as it is.
/// </summary>
internal sealed class RoutedExecutionStrategyFactory(ExecutionStrategyDependencies dependencies) : MySqlExecutionStrategyFactory(dependencies)
{
    // Pomelo keeps EnableRetryOnFailure's extra error numbers in a private field (EfCoreRoutingTests checks they carry over).
    private static readonly FieldInfo? s_errorNumbers =
        typeof(MySqlRetryingExecutionStrategy).GetField("_additionalErrorNumbers", BindingFlags.Instance | BindingFlags.NonPublic);

    public override IExecutionStrategy Create()
    {
        var strategy = base.Create();
        if (strategy.GetType() != typeof(MySqlRetryingExecutionStrategy))
            return strategy;
        var retrying = (MySqlRetryingExecutionStrategy)strategy;
        return new ReplicaRoutingRetryingExecutionStrategy(Dependencies, retrying.MaxRetryCount, retrying.MaxRetryDelay, ErrorNumbersOf(retrying));
    }

    private static ICollection<int>? ErrorNumbersOf(MySqlRetryingExecutionStrategy strategy) =>
        s_errorNumbers is null
            ? throw new InvalidOperationException(
                "This Pomelo version keeps EnableRetryOnFailure's settings elsewhere: configure ExecutionStrategy(d => new ReplicaRoutingRetryingExecutionStrategy(d, …)) instead.")
            : (ICollection<int>?)s_errorNumbers.GetValue(strategy);
}
