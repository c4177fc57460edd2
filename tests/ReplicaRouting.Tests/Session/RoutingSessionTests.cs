using Microsoft.Extensions.Time.Testing;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Session;

public sealed class RoutingSessionTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly ReplicaRoutingDataSource _dataSource;

    public RoutingSessionTests()
    {
        _dataSource = new ReplicaRoutingDataSourceBuilder()
            .UsePrimary("Server=127.0.0.1;Port=1;Database=shop")
            .Configure(o => o.ClusterId = "shop")
            .UseTimeProvider(_clock)
            .Build();
        _dataSource.Cluster.ObserveServerVersion("10.11.19-MariaDB");
    }

    public void Dispose() => _dataSource.Dispose();

    [Fact]
    public void A_new_session_has_nothing_to_carry()
    {
        using var session = _dataSource.BeginSession();
        Assert.Null(session.Position);
        Assert.Null(session.LastWriteAt);
        Assert.Null(session.Token);
    }

    [Fact]
    public void Sessions_nest_and_restore_the_previous_ambient_one()
    {
        Assert.Null(RoutingSession.Current);
        using (var outer = _dataSource.BeginSession())
        {
            Assert.Same(outer, RoutingSession.Current);
            using (var inner = _dataSource.BeginSession())
                Assert.Same(inner, RoutingSession.Current);
            Assert.Same(outer, RoutingSession.Current);
        }

        Assert.Null(RoutingSession.Current);
    }

    [Fact]
    public async Task The_ambient_session_flows_into_async_calls_and_parallel_flows_keep_their_own()
    {
        using var session = _dataSource.BeginSession();
        await Task.Yield();
        Assert.Same(session, RoutingSession.Current);

        var others = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            using var own = _dataSource.BeginSession();
            return RoutingSession.Current;
        })));
        Assert.Equal(4, others.Distinct().Count());
        Assert.DoesNotContain(session, others);
        Assert.Same(session, RoutingSession.Current);
    }

    [Fact]
    public async Task Concurrent_writes_of_one_session_all_end_up_in_its_position()
    {
        using var session = _dataSource.BeginSession();
        await Task.WhenAll(Enumerable.Range(0, 64).Select(domain => Task.Run(() =>
            session.RecordWrite(MariaDbGtidPosition.Parse($"{domain}-1-{domain + 10}")))));

        for (var domain = 0; domain < 64; domain++)
            Assert.True(MariaDbGtidPosition.Parse($"{domain}-1-{domain + 10}").IsSatisfiedBy(session.Position!));
    }

    [Fact]
    public void The_token_round_trips_into_a_restored_session()
    {
        string text;
        using (var session = _dataSource.BeginSession())
        {
            session.RecordWrite(MariaDbGtidPosition.Parse("0-1-5"));
            _clock.Advance(TimeSpan.FromSeconds(1));
            session.RecordWrite(MariaDbGtidPosition.Parse("0-1-7,1-2-3"));
            text = session.Token!.ToString();
        }

        using var restored = _dataSource.BeginSession(text);
        Assert.Equal(MariaDbGtidPosition.Parse("0-1-7,1-2-3"), restored.Position);
        Assert.Equal(_clock.GetUtcNow(), restored.LastWriteAt);
        Assert.False(restored.Snapshot.PositionVerified);   // a token's position is checked against the primary before use
    }

    [Fact]
    public void A_write_without_a_gtid_travels_as_a_time_only_token()
    {
        string text;
        using (var session = _dataSource.BeginSession())
        {
            session.RecordWrite(null);
            Assert.True(session.Snapshot.UnknownWrite);
            text = session.Token!.ToString();
        }

        using var restored = _dataSource.BeginSession(text);
        Assert.Null(restored.Position);
        Assert.True(restored.Snapshot.UnknownWrite);
        Assert.Equal(_clock.GetUtcNow(), restored.LastWriteAt);
    }

    [Fact]
    public void A_restored_time_only_token_travels_on_before_any_command_runs()
    {
        using var fresh = new ReplicaRoutingDataSourceBuilder().UsePrimary("Server=127.0.0.1;Port=1;Database=shop")
            .Configure(o => o.ClusterId = "shop").UseTimeProvider(_clock).Build();
        var text = new ConsistencyToken("shop", MySqlGtidSet.Empty, _clock.GetUtcNow()).ToString();
        using var session = fresh.BeginSession(text);
        Assert.Equal(text, session.Token?.ToString());
    }

    [Fact]
    public void A_position_too_long_for_a_token_degrades_to_a_time_only_token()
    {
        using var session = _dataSource.BeginSession();
        // A position at the parser's cap: valid by itself, too long once the token's header and checksum are added.
        var entries = new List<string>();
        for (var domain = 0; string.Join(",", entries).Length < GtidPosition.MaxTextLength - 40; domain++)
            entries.Add($"{domain}-4294967295-18446744073709551615");
        var huge = string.Join(",", entries);
        Assert.InRange(huge.Length, GtidPosition.MaxTextLength - 40, GtidPosition.MaxTextLength);
        session.RecordWrite(MariaDbGtidPosition.Parse(huge));
        var token = session.Token!;
        Assert.True(token.Position.IsEmpty);
        Assert.True(ConsistencyToken.TryParse(token.ToString(), out _));
    }

    [Fact]
    public void Expiry_follows_the_configured_clock()
    {
        string text;
        using (var session = _dataSource.BeginSession())
        {
            session.RecordWrite(MariaDbGtidPosition.Parse("0-1-5"));
            text = session.Token!.ToString();
        }

        _clock.Advance(TimeSpan.FromMinutes(4));
        using (var stillValid = _dataSource.BeginSession(text))
            Assert.NotNull(stillValid.Position);

        _clock.Advance(TimeSpan.FromMinutes(2));
        using var expired = _dataSource.BeginSession(text);
        Assert.Null(expired.Position);
    }

    [Fact]
    public void Dropping_a_position_forgets_only_that_position()
    {
        using var session = _dataSource.BeginSession();
        var first = MariaDbGtidPosition.Parse("0-1-5");
        session.RecordWrite(first);
        session.DropPosition(MariaDbGtidPosition.Parse("0-1-4"));
        Assert.Equal(first, session.Position);
        session.DropPosition(first);
        Assert.Null(session.Position);
    }

    [Fact]
    public void A_primary_without_gtids_is_reported_once_and_writes_then_read_the_primary()
    {
        var log = new List<int>();
        using var dataSource = new ReplicaRoutingDataSourceBuilder()
            .UsePrimary("Server=127.0.0.1;Port=1;Database=shop")
            .UseLoggerFactory(new EventIdCollector(log))
            .Build();
        dataSource.Cluster.ObserveServerVersion("9.7.4");
        using var session = dataSource.BeginSession();
        using var connection = dataSource.OpenConnection();

        Capture(connection, session, "");
        Capture(connection, session, null);

        Assert.True(session.Snapshot.UnknownWrite);
        Assert.Null(session.Position);
        Assert.Equal(1, log.Count(id => id == EventIds.GtidCaptureUnavailable));
    }

    [Fact]
    public void An_empty_capture_after_gtids_were_seen_means_nothing_was_written()
    {
        using var session = _dataSource.BeginSession();
        using var connection = _dataSource.OpenConnection();
        Capture(connection, session, "0-1-9");
        Capture(connection, session, "");
        Assert.False(session.Snapshot.UnknownWrite);
        Assert.Equal(MariaDbGtidPosition.Parse("0-1-9"), session.Position);
        Assert.Equal(0, session.Snapshot.UncapturedWrites);
    }

    [Fact]
    public void Reading_the_token_first_reads_the_position_a_connection_still_owes()
    {
        using var session = _dataSource.BeginSession();
        using var connection = _dataSource.OpenConnection();
        Capture(connection, session, "0-1-9");

        connection.OnPrimaryWrite(session, _dataSource.Configuration.Primary);
        Assert.Equal(1, session.Snapshot.UncapturedWrites);

        // The connection has no physical connection here, so the read fails: the write counts as unknown and the token says
        // only when the session wrote (the next unit of work reads the primary for a window), never a position without it.
        var token = session.Token!;
        Assert.True(token.Position.IsEmpty);
        Assert.Equal(0, session.Snapshot.UncapturedWrites);
        Assert.True(session.Snapshot.UnknownWrite);
    }

    [Fact]
    public void A_position_that_could_not_be_read_is_an_unknown_write()
    {
        using var session = _dataSource.BeginSession();
        using var connection = _dataSource.OpenConnection();
        session.BeginUncapturedWrite(connection);
        connection.OnCaptured(session, read: false, null);
        Assert.True(session.Snapshot.UnknownWrite);
        Assert.Equal(0, session.Snapshot.UncapturedWrites);
    }

    /// <summary>What a connection does with the writes it ran: owes their position, then reads it.</summary>
    private static void Capture(ReplicaRoutingConnection connection, RoutingSession session, string? gtid)
    {
        session.BeginUncapturedWrite(connection);
        connection.OnCaptured(session, read: true, gtid);
    }

    private sealed class EventIdCollector(List<int> ids) : Microsoft.Extensions.Logging.ILoggerFactory, Microsoft.Extensions.Logging.ILogger
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(Microsoft.Extensions.Logging.ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (ids)
                ids.Add(eventId.Id);
        }
    }
}
