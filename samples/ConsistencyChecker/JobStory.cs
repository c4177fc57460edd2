using System.Diagnostics;
using System.Globalization;
using System.Net;
using Dapper;
using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// The lost order met by a background job: users place orders through the sample shop (<c>POST /orders</c>), each request
/// queues a confirmation job in a table row that holds its consistency token, and the shop's worker (another instance, its
/// own data source) runs the job: it restores the token and reads the order. A job that does not find its order read
/// <em>stale</em>. The shop records each job's outcome in its row (<c>shop_confirmation_jobs</c>); this story reads them
/// back from the primary.
/// </summary>
public static class JobStory
{
    /// <summary>How long the worker may take, after the last order, to run every job of the run.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(60);

    private const string OutcomesSql = """
        SELECT OrderId, ConsistencyToken IS NOT NULL AS HadToken, OrderFound, ReadBy,
               TIMESTAMPDIFF(MICROSECOND, EnqueuedAt, DoneAt) / 1000.0 AS DelayMilliseconds
        FROM shop_confirmation_jobs WHERE OrderId IN @orderIds AND DoneAt IS NOT NULL
        """;

    /// <summary>
    /// Places <paramref name="orders"/> orders, <paramref name="users"/> at a time, each with its own HTTP client, then waits
    /// (bounded by <see cref="DrainTimeout"/>) until the worker has run the job of every one, and counts.
    /// </summary>
    /// <param name="shop">The shop instance that takes orders (<c>Shop:Confirmations:Enqueue</c> on).</param>
    /// <param name="primaryConnectionString">A plain connection string to the primary, where the outcomes are read.</param>
    /// <param name="orders">How many orders (hence jobs).</param>
    /// <param name="users">How many users place orders at the same time.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The jobs' outcomes.</returns>
    /// <exception cref="TimeoutException">Some jobs were not run within <see cref="DrainTimeout"/>: is a worker running?</exception>
    public static async Task<JobStoryResult> RunAsync(Uri shop, string primaryConnectionString, int orders, int users, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(orders, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(users, 1);
        var started = Stopwatch.GetTimestamp();
        var orderIds = new long[orders];
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Math.Min(users, orders)).Select(user => Task.Run(async () =>
        {
            using var client = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = shop, Timeout = TimeSpan.FromSeconds(30) };
            int n;
            while ((n = Interlocked.Increment(ref next)) < orders)
                orderIds[n] = await PlaceOrderAsync(client, $"job user {user}", $"job order {n}", cancellationToken);
        }, CancellationToken.None)));

        var outcomes = await WaitForJobsAsync(primaryConnectionString, orderIds, cancellationToken);
        return JobStoryResult.Of(outcomes, Stopwatch.GetElapsedTime(started));
    }

    private static async Task<long> PlaceOrderAsync(HttpClient client, string customer, string item, CancellationToken cancellationToken)
    {
        using var form = new FormUrlEncodedContent([new("customer", customer), new("item", item)]);
        using var response = await client.PostAsync(new Uri("/orders", UriKind.Relative), form, cancellationToken);
        var location = response.Headers.Location?.OriginalString;
        if (response.StatusCode != HttpStatusCode.Redirect || location is null
            || !long.TryParse(location.AsSpan(location.LastIndexOf('/') + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
        {
            throw new InvalidOperationException($"POST /orders answered {(int)response.StatusCode} (location '{location}'), not a redirect to the new order.");
        }

        return id;
    }

    private static async Task<List<JobOutcome>> WaitForJobsAsync(string primaryConnectionString, long[] orderIds, CancellationToken cancellationToken)
    {
        await using var connection = new MySqlConnection(primaryConnectionString);
        await connection.OpenAsync(cancellationToken);
        var deadline = Stopwatch.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * Stopwatch.Frequency);
        while (true)
        {
            var outcomes = (await connection.QueryAsync<JobOutcome>(new CommandDefinition(OutcomesSql, new { orderIds }, cancellationToken: cancellationToken))).AsList();
            if (outcomes.Count == orderIds.Length)
                return outcomes;
            if (Stopwatch.GetTimestamp() > deadline)
                throw new TimeoutException($"{orderIds.Length - outcomes.Count} of {orderIds.Length} confirmation jobs were not run within {DrainTimeout.TotalSeconds:0} s: is the shop's worker running (Shop:Confirmations:Worker)?");
            await Task.Delay(100, cancellationToken);
        }
    }
}

/// <summary>One job as the worker left it in its row (properties, so that Dapper converts the server's column types).</summary>
internal sealed class JobOutcome
{
    public long OrderId { get; init; }

    public bool HadToken { get; init; }

    public bool OrderFound { get; init; }

    public string? ReadBy { get; init; }

    public double DelayMilliseconds { get; init; }
}

/// <summary>What the jobs of one <see cref="JobStory.RunAsync"/> did: counted from their rows, never assumed.</summary>
/// <param name="Jobs">How many jobs ran (one per order).</param>
/// <param name="Stale">How many did not find the order they were queued for.</param>
/// <param name="WithToken">How many carried a token.</param>
/// <param name="ReplicaReads">How many read the order on a replica.</param>
/// <param name="DelayP50Milliseconds">The median time from the request queuing the job to the job's read.</param>
/// <param name="DelayP99Milliseconds">Its 99th percentile.</param>
/// <param name="Reasons">The jobs' reads by routing reason.</param>
/// <param name="Elapsed">How long the run took.</param>
public sealed record JobStoryResult(
    int Jobs, int Stale, int WithToken, int ReplicaReads, double DelayP50Milliseconds, double DelayP99Milliseconds,
    IReadOnlyDictionary<RoutingReason, int> Reasons, TimeSpan Elapsed)
{
    /// <summary>Gets the share of the jobs' reads a replica answered, 0 to 1.</summary>
    public double ReplicaShare => Jobs == 0 ? 0 : (double)ReplicaReads / Jobs;

    /// <summary>
    /// Formats <c>RESULT scenario=… flavor=… jobs=… stale_reads=… tokens=… replica_share=… job_delay_p50_ms=… job_delay_p99_ms=…</c>.
    /// </summary>
    /// <param name="scenario">e.g. <c>worker-token</c>, <c>worker-no-token</c>.</param>
    /// <param name="flavor"><c>mariadb</c> or <c>mysql</c>.</param>
    /// <returns>The line, without a line break.</returns>
    public string ToResultLine(string scenario, string flavor) => string.Create(CultureInfo.InvariantCulture,
        $"RESULT scenario={scenario} flavor={flavor} jobs={Jobs} stale_reads={Stale} tokens={WithToken} replica_share={ReplicaShare:F2} " +
        $"job_delay_p50_ms={DelayP50Milliseconds:F2} job_delay_p99_ms={DelayP99Milliseconds:F2}");

    internal static JobStoryResult Of(IReadOnlyList<JobOutcome> outcomes, TimeSpan elapsed)
    {
        var delays = outcomes.Select(o => o.DelayMilliseconds).Order().ToArray();
        var routes = outcomes.Select(o => ParseRoute(o.ReadBy)).ToArray();
        return new JobStoryResult(
            outcomes.Count,
            outcomes.Count(o => !o.OrderFound),
            outcomes.Count(o => o.HadToken),
            routes.Count(r => r.Target == RouteTarget.Replica),
            ResultLine.Percentile(delays, 0.50),
            ResultLine.Percentile(delays, 0.99),
            routes.GroupBy(r => r.Reason).ToDictionary(g => g.Key, g => g.Count()),
            elapsed);
    }

    /// <summary>The shop's route text: <c>Target; Reason; node</c>.</summary>
    private static (RouteTarget Target, RoutingReason Reason) ParseRoute(string? route)
    {
        var parts = route?.Split(';', StringSplitOptions.TrimEntries);
        return parts is { Length: 3 } && Enum.TryParse<RouteTarget>(parts[0], out var target) && Enum.TryParse<RoutingReason>(parts[1], out var reason)
            ? (target, reason)
            : throw new InvalidOperationException($"A confirmation job recorded no readable route ('{route ?? "none"}').");
    }
}
