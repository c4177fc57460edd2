using System.Diagnostics;
using Dapper;
using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// The "lost order" story, many times over: a user places an order, is redirected, and the next request reads the
/// order back at once. Each write and each read is its own unit of work (its own routing session, its own connection),
/// and only the consistency token travels between them, as it would in a cookie. A read that does not find the order
/// is <em>stale</em>: the user was told their order does not exist.
/// </summary>
public static class OrderStory
{
    /// <summary>The table the story writes to and reads from (in the connection strings' database).</summary>
    public const string TableName = "orders";

    /// <summary>The modes <see cref="ConfigureMode"/> knows, as they appear in result lines.</summary>
    public static IReadOnlyList<string> Modes { get; } = ["eventual", "primary-after-write", "wait-for-gtid"];

    private const string PlaceOrderSql = "INSERT INTO orders (item, user_no) VALUES (@item, @user); SELECT LAST_INSERT_ID()";
    private const string ReadOrderSql = "SELECT item FROM orders WHERE id = @id";

    /// <summary>
    /// Creates the <c>orders</c> table on the primary if it does not exist. Replicas get it through replication: let
    /// them catch up (a few milliseconds without injected lag) before reads may reach them.
    /// </summary>
    /// <param name="primaryConnectionString">A plain MySqlConnector connection string to the primary (a user allowed to create tables).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the table exists on the primary.</returns>
    public static async Task CreateOrdersTableAsync(string primaryConnectionString, CancellationToken cancellationToken = default)
    {
        await using var connection = new MySqlConnection(primaryConnectionString);
        await connection.OpenAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            """
            CREATE TABLE IF NOT EXISTS orders (
                id BIGINT AUTO_INCREMENT PRIMARY KEY,
                item VARCHAR(100) NOT NULL,
                user_no INT NOT NULL,
                created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
            ) ENGINE=InnoDB
            """,
            cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Sets the options of one of <see cref="Modes"/>: <c>eventual</c> (plain split), <c>primary-after-write</c>
    /// (read-your-writes, sticky primary) or <c>wait-for-gtid</c> (read-your-writes, GTID-tracked reads).
    /// Other options are left as they are.
    /// </summary>
    /// <param name="options">The options to change.</param>
    /// <param name="mode">The mode's name.</param>
    /// <exception cref="ArgumentException">An unknown mode.</exception>
    public static void ConfigureMode(ReplicaRoutingOptions options, string mode)
    {
        ArgumentNullException.ThrowIfNull(options);
        switch (mode)
        {
            case "eventual":
                options.Consistency = ReadConsistency.Eventual;
                break;
            case "primary-after-write":
                options.Consistency = ReadConsistency.ReadYourWrites;
                options.ReadYourWrites = ReadYourWritesStrategy.PrimaryAfterWrite;
                break;
            case "wait-for-gtid":
                options.Consistency = ReadConsistency.ReadYourWrites;
                options.ReadYourWrites = ReadYourWritesStrategy.WaitForGtid;
                break;
            default:
                throw new ArgumentException($"Unknown mode '{mode}': expected one of {string.Join(", ", Modes)}.", nameof(mode));
        }
    }

    /// <summary>
    /// Runs <see cref="OrderStoryOptions.Pairs"/> write→read pairs with <see cref="OrderStoryOptions.Concurrency"/>
    /// simulated users and counts what happened. Each pair:
    /// <list type="number">
    /// <item>in a new session (<see cref="ReplicaRoutingDataSource.BeginSession(string)"/> with no token) on a new connection,
    /// <c>INSERT</c> an order and <c>SELECT LAST_INSERT_ID()</c> in one command; keep <see cref="RoutingSession.Token"/>'s text;</item>
    /// <item>in another new session restored from that text (or from none, when <see cref="OrderStoryOptions.UseToken"/> is
    /// false) on a new connection, read the order by id at once, timed, noting <see cref="ReplicaRoutingConnection.LastRoutingDecision"/>.</item>
    /// </list>
    /// The first error ends the run (the other users stop) and is thrown: a story that did not run is not a result.
    /// </summary>
    /// <param name="dataSource">The routed data source; its options decide the mode. The <c>orders</c> table must exist.</param>
    /// <param name="options">How many pairs, how many users, whether the token is carried.</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <returns>The counts, latencies and routing reasons of the reads.</returns>
    public static async Task<OrderStoryResult> RunAsync(ReplicaRoutingDataSource dataSource, OrderStoryOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Pairs, 1, nameof(options.Pairs));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Concurrency, 1, nameof(options.Concurrency));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.Concurrency, OrderStoryOptions.MaxConcurrency, nameof(options.Concurrency));

        var reads = new ReadOutcome[options.Pairs];
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task UserAsync(int user)
        {
            try
            {
                int pair;
                while ((pair = Interlocked.Increment(ref next)) < reads.Length)
                {
                    stop.Token.ThrowIfCancellationRequested();
                    var item = $"pair {pair} user {user}";
                    var (id, token) = await PlaceOrderAsync(dataSource, item, user, stop.Token);
                    reads[pair] = await ReadOrderAsync(dataSource, options.UseToken ? token : null, id, item, token is not null, stop.Token);
                }
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                await stop.CancelAsync();   // one failure ends the run for every user
                throw;
            }
        }

        var users = Enumerable.Range(0, Math.Min(options.Concurrency, options.Pairs)).Select(user => Task.Run(() => UserAsync(user), CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(users);
        }
        catch (Exception)
        {
            // Report the error that ended the run, not the cancellations it caused.
            var errors = users.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).ToArray();
            var first = errors.FirstOrDefault(e => e is not OperationCanceledException) ?? errors.FirstOrDefault();
            if (first is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            throw;   // cancelled by the caller
        }

        return OrderStoryResult.From(reads, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The first request: place the order, return its id and the session's token text.</summary>
    private static async Task<(long Id, string? Token)> PlaceOrderAsync(ReplicaRoutingDataSource dataSource, string item, int user, CancellationToken cancellationToken)
    {
        using var session = dataSource.BeginSession();
        long id;
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            id = await connection.ExecuteScalarAsync<long>(new CommandDefinition(PlaceOrderSql, new { item, user }, cancellationToken: cancellationToken));
            if (connection.LastRoutingDecision is not { Target: RouteTarget.Primary })
                throw new InvalidOperationException($"The order was placed on {connection.LastRoutingDecision?.ToString() ?? "an unknown node"}, not the primary.");
        }

        if (id <= 0)
            throw new InvalidOperationException($"LAST_INSERT_ID() returned {id} after placing an order.");
        return (id, session.Token?.ToString());
    }

    /// <summary>The next request, right after the redirect: read the order back, timed.</summary>
    private static async Task<ReadOutcome> ReadOrderAsync(
        ReplicaRoutingDataSource dataSource, string? token, long id, string item, bool hadToken, CancellationToken cancellationToken)
    {
        using var session = dataSource.BeginSession(token);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var started = Stopwatch.GetTimestamp();
        var found = await connection.QuerySingleOrDefaultAsync<string>(new CommandDefinition(ReadOrderSql, new { id }, cancellationToken: cancellationToken));
        var elapsed = Stopwatch.GetElapsedTime(started);
        var decision = connection.LastRoutingDecision ?? throw new InvalidOperationException("The read has no routing decision.");
        if (found is not null && !string.Equals(found, item, StringComparison.Ordinal))
            throw new InvalidOperationException($"Order {id} reads back as '{found}', but '{item}' was written.");
        return new ReadOutcome(Found: found is not null, elapsed, decision, hadToken);
    }
}

/// <summary>How <see cref="OrderStory.RunAsync"/> runs.</summary>
public sealed class OrderStoryOptions
{
    /// <summary>The largest <see cref="Concurrency"/> accepted.</summary>
    public const int MaxConcurrency = 256;

    /// <summary>Gets or sets how many write→read pairs are run in total (at least 1).</summary>
    /// <value>The default value is 1000.</value>
    public int Pairs { get; init; } = 1000;

    /// <summary>Gets or sets how many simulated users run pairs at the same time (1 to <see cref="MaxConcurrency"/>).</summary>
    /// <value>The default value is 16.</value>
    public int Concurrency { get; init; } = 16;

    /// <summary>
    /// Gets or sets whether the read's session is restored from the write's token (as a cookie would carry it). False
    /// simulates an application that forgot to carry it. Irrelevant under <see cref="ReadConsistency.Eventual"/>, where
    /// sessions have no token.
    /// </summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseToken { get; init; } = true;
}

/// <summary>One read of the story.</summary>
internal readonly record struct ReadOutcome(bool Found, TimeSpan Elapsed, RoutingDecision Decision, bool WriteHadToken);
