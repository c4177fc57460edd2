using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting.EntityFrameworkCore;

/// <summary>
/// Pomelo's retrying execution strategy, taught what a routed connection reports during a failover. It retries what did
/// not run or was rolled back: <see cref="PrimaryUnavailableException"/> (nothing was sent), a write refused by a node that
/// was just demoted (1290, 1792, 1836), and a broken connection under a statement that cannot have committed anything (a
/// read, or a statement inside a transaction that the server rolls back). A <see cref="CommitOutcomeUnknownException"/> is
/// retried only when the operation was given a way to check its outcome (<c>ExecuteInTransaction</c>'s
/// <c>verifySucceeded</c>) and that check found the write absent; otherwise it reaches the caller.
/// </summary>
/// <remarks>
/// <c>UseReplicaRouting</c> puts this strategy in place of the one <c>UseMySql(…, m =&gt; m.EnableRetryOnFailure(…))</c>
/// configures, with the same retry count, delay and extra error numbers. Construct it yourself only to derive from it.
/// </remarks>
public class ReplicaRoutingRetryingExecutionStrategy : MySqlRetryingExecutionStrategy
{
    private Exception? _verifiedOutcome;

    /// <summary>Creates the strategy.</summary>
    /// <param name="dependencies">The strategy's dependencies.</param>
    /// <param name="maxRetryCount">The maximum number of retries.</param>
    /// <param name="maxRetryDelay">The maximum delay between retries.</param>
    /// <param name="errorNumbersToAdd">More MySQL error numbers to treat as transient, or <see langword="null"/>.</param>
    public ReplicaRoutingRetryingExecutionStrategy(ExecutionStrategyDependencies dependencies, int maxRetryCount, TimeSpan maxRetryDelay, ICollection<int>? errorNumbersToAdd)
        : base(dependencies, maxRetryCount, maxRetryDelay, errorNumbersToAdd)
    {
        AdditionalErrorNumbers = errorNumbersToAdd is null ? [] : [.. errorNumbersToAdd];
    }

    /// <summary>Gets the MySQL error numbers treated as transient besides MySqlConnector's own verdict.</summary>
    public IReadOnlyList<int> AdditionalErrorNumbers { get; }

    /// <summary>An interrupted commit is checked (by the operation's <c>verifySucceeded</c>) before anything else is decided.</summary>
    /// <param name="exception">The failure, unwrapped from <c>DbUpdateException</c>.</param>
    /// <returns>Whether to run the verification.</returns>
    protected override bool ShouldVerifySuccessOn(Exception exception)
    {
        if (exception is not CommitOutcomeUnknownException)
            return base.ShouldVerifySuccessOn(exception);
        _verifiedOutcome = exception;   // only a verified-absent commit may run again (see ShouldRetryOn)
        return true;
    }

    /// <summary>Retries what is known not to have been applied; see the class remarks.</summary>
    /// <param name="exception">The failure, unwrapped from <c>DbUpdateException</c>.</param>
    /// <returns>Whether to run the operation again.</returns>
    protected override bool ShouldRetryOn(Exception exception) => exception switch
    {
        PrimaryUnavailableException => true,
        CommitOutcomeUnknownException => ReferenceEquals(exception, _verifiedOutcome),

        // The routed connection reports a break that may have committed as CommitOutcomeUnknownException: what is left
        // of connection failures ran nothing durable.
        MySqlException mySql when ServerErrors.IsConnectionFailure(mySql) || ServerErrors.IsReadOnlyRefusal(mySql) => true,
        _ => base.ShouldRetryOn(exception),
    };
}
