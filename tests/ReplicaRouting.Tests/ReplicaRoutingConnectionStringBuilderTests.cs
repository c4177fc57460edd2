using System.Data.Common;
using MySqlConnector;

namespace ReplicaRouting.Tests;

public class ReplicaRoutingConnectionStringBuilderTests
{
    private const string Servers = "Server=db1;Port=3306;User ID=app;Password=secret;Database=shop";

    /// <summary>Every routing key, a valid value, and what the options read back.</summary>
    public static TheoryData<string, string, Func<ReplicaRoutingOptions, object?>, object?> EveryKey => new()
    {
        { "Read Consistency", "Eventual", o => o.Consistency, ReadConsistency.Eventual },
        { "ReadConsistency", "boundedstaleness", o => o.Consistency, ReadConsistency.BoundedStaleness },
        { "Read Your Writes", "PrimaryAfterWrite", o => o.ReadYourWrites, ReadYourWritesStrategy.PrimaryAfterWrite },
        { "Causal Read Timeout", "0.5", o => o.CausalReadTimeout, TimeSpan.FromMilliseconds(500) },
        { "Primary After Write Window", "10", o => o.PrimaryAfterWriteWindow, TimeSpan.FromSeconds(10) },
        { "Cluster Id", "shop-eu_1", o => o.ClusterId, "shop-eu_1" },
        { "Token Lifetime", "600", o => o.TokenLifetime, TimeSpan.FromMinutes(10) },
        { "Replica Selection", "LeastOutstanding", o => o.ReplicaSelection, ReplicaSelectionPolicy.LeastOutstanding },
        { "Failed Replica Backoff", "2.5", o => o.FailedReplicaBackoff, TimeSpan.FromSeconds(2.5) },
        { "Max Replica Lag", "5", o => o.MaxReplicaLag, TimeSpan.FromSeconds(5) },
        { "MaxReplicaLag", "0.25", o => o.MaxReplicaLag, TimeSpan.FromMilliseconds(250) },
        { "Max Staleness", "3", o => o.MaxStaleness, TimeSpan.FromSeconds(3) },
        { "Topology Monitor", "false", o => o.TopologyMonitor, false },
        { "Topology Monitor", "No", o => o.TopologyMonitor, false },
        { "Topology Probe Interval", "0.2", o => o.TopologyProbeInterval, TimeSpan.FromMilliseconds(200) },
        { "Topology Probe Timeout", "2", o => o.TopologyProbeTimeout, TimeSpan.FromSeconds(2) },
        { "Heartbeat Table", "percona.heartbeat", o => o.HeartbeatTable, "percona.heartbeat" },
        { "Heartbeat Interval", "0.1", o => o.HeartbeatInterval, TimeSpan.FromMilliseconds(100) },
        { "Max Concurrent Causal Waits", "40", o => o.MaxConcurrentCausalWaits, 40 },
        { "MaxConcurrentPrimaryFallbacks", "4", o => o.MaxConcurrentPrimaryFallbacks, 4 },
        { "Read Consistency", "causal", o => o.Consistency, ReadConsistency.Causal },
        { "Sessionless Reads", "Connection", o => o.SessionlessReads, SessionlessReads.Connection },
        { "Causal Read Policy", "fast", o => o.CausalReadPolicy, CausalReadPolicy.Fast },
        { "CausalReadPolicy", "Wait", o => o.CausalReadPolicy, CausalReadPolicy.Wait },
        { "Causal Wait Budget", "0.02", o => o.CausalWaitBudget, TimeSpan.FromMilliseconds(20) },
    };

    [Theory]
    [MemberData(nameof(EveryKey))]
    public void Every_routing_key_sets_its_option(string key, string value, Func<ReplicaRoutingOptions, object?> read, object? expected)
    {
        var builder = new ReplicaRoutingConnectionStringBuilder($"{Servers};{key}={value}");
        Assert.Equal(expected, read(builder.ToOptions()));

        // The normalized string reads back to the same options.
        Assert.Equal(expected, read(new ReplicaRoutingConnectionStringBuilder(builder.ConnectionString).ToOptions()));
    }

    [Fact]
    public void Write_heartbeat_with_its_table_is_accepted()
    {
        var options = new ReplicaRoutingConnectionStringBuilder($"{Servers};Write Heartbeat=true;Heartbeat Table=rr_heartbeat").ToOptions();
        Assert.True(options.WriteHeartbeat);
        Assert.Equal("rr_heartbeat", options.HeartbeatTable);
    }

    /// <summary>Malformed and out-of-range values: each fails when set, with the key in the message.</summary>
    public static TheoryData<string, string> BadValues => new()
    {
        { "Read Consistency", "Strong" },
        { "Read Consistency", "1" },
        { "Read Consistency", "Primary, Eventual" },
        { "Read Your Writes", "Sometimes" },
        { "Causal Read Timeout", "1000" },        // seconds: 1000 s is over the one-minute cap
        { "Causal Read Timeout", "0" },
        { "Causal Read Timeout", "-1" },
        { "Causal Read Timeout", "1s" },
        { "Causal Read Timeout", "1e3" },
        { "Causal Read Timeout", "00:00:01" },
        { "Primary After Write Window", "7200" },
        { "Cluster Id", "has space" },
        { "Token Lifetime", "0.5" },
        { "Replica Selection", "Fastest" },
        { "Sessionless Reads", "Global" },
        { "Causal Read Policy", "Never" },
        { "Causal Wait Budget", "0" },
        { "Causal Wait Budget", "120" },
        { "Failed Replica Backoff", "abc" },
        { "Max Replica Lag", "0" },
        { "Max Replica Lag", "3601" },
        { "Max Staleness", "99999999999999999999999" },
        { "Topology Monitor", "maybe" },
        { "Topology Probe Interval", "0.05" },
        { "Topology Probe Timeout", "61" },
        { "Heartbeat Table", "`evil`" },
        { "Heartbeat Table", "a.b.c" },
        { "Write Heartbeat", "2" },
        { "Heartbeat Interval", "0.01" },
        { "Replicas", "db2:0" },
        { "Replicas", "db2:70000" },
        { "Replicas", "db2:port" },
        { "Replicas", "db2,,db3" },
        { "Replicas", "[::1" },
        { "Port", "abc" },
        { "SslMode", "Sometimes" },
        { "Default Command Timeout", "-5" },
    };

    [Theory]
    [MemberData(nameof(BadValues))]
    public void A_bad_value_fails_naming_the_key(string key, string value)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => new ReplicaRoutingConnectionStringBuilder($"{Servers};{key}={value}"));
        Assert.Contains($"'{key}'", ex.Message, StringComparison.OrdinalIgnoreCase);   // a parsed string's keys arrive lower-cased
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);

        var builder = new ReplicaRoutingConnectionStringBuilder(Servers);
        ex = Assert.ThrowsAny<ArgumentException>(() => builder[key] = value);
        Assert.Contains($"'{key}'", ex.Message, StringComparison.Ordinal);
        Assert.Equal(Servers, builder.ConnectionString);   // the bad value left nothing behind
    }

    [Theory]
    [InlineData("Replica")]
    [InlineData("Read Consistancy")]
    [InlineData("Frobnicate")]
    public void An_unknown_key_fails_naming_it(string key)
    {
        var ex = Assert.Throws<ArgumentException>(() => new ReplicaRoutingConnectionStringBuilder($"{Servers};{key}=1"));
        Assert.Contains($"'{key}'", ex.Message, StringComparison.OrdinalIgnoreCase);   // a parsed string's keys arrive lower-cased
        ex = Assert.Throws<ArgumentException>(() => new ReplicaRoutingConnectionStringBuilder()[key]);
        Assert.Contains($"'{key}'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_between_two_keys_is_checked_when_the_string_is_used_and_names_the_key()
    {
        var builder = new ReplicaRoutingConnectionStringBuilder($"{Servers};Write Heartbeat=true");
        var ex = Assert.Throws<ArgumentException>(builder.ToOptions);
        Assert.Contains("'Write Heartbeat'", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => new ReplicaRoutingConnection($"{Servers};Write Heartbeat=true").Open());
    }

    [Fact]
    public void Replicas_get_the_primary_options_with_their_own_host_and_port()
    {
        var builder = new ReplicaRoutingConnectionStringBuilder($"Host=db1;Port=3307;Replicas=db2, db3:3308,[fe80::1]:3309,::2;Uid=app;Pwd=secret;Database=shop;SslMode=Required;Read Consistency=Eventual");

        var primary = builder.PrimaryConnectionString();
        Assert.Equal("db1", primary.Server);
        Assert.Equal(3307u, primary.Port);
        Assert.False(primary.ContainsKey("Replicas"));
        Assert.DoesNotContain("Consistency", primary.ConnectionString, StringComparison.Ordinal);

        var replicas = builder.ReplicaConnectionStrings().Select(s => new MySqlConnectionStringBuilder(s)).ToArray();
        Assert.Equal(["db2", "db3", "fe80::1", "::2"], replicas.Select(r => r.Server));
        Assert.Equal([3307u, 3308u, 3309u, 3307u], replicas.Select(r => r.Port));
        Assert.All(replicas, r =>
        {
            Assert.Equal("app", r.UserID);
            Assert.Equal("secret", r.Password);
            Assert.Equal("shop", r.Database);
            Assert.Equal(MySqlSslMode.Required, r.SslMode);
        });
        Assert.Equal("db2,db3:3308,[fe80::1]:3309,::2", builder.Replicas);
    }

    [Fact]
    public void Keys_are_stored_under_one_name_whatever_the_spelling()
    {
        var builder = new ReplicaRoutingConnectionStringBuilder("host=db1;UID=app;readconsistency=eventual;MAX REPLICA LAG=2");
        Assert.Equal("db1", builder.Server);
        Assert.Equal("app", builder.UserID);
        Assert.Equal(ReadConsistency.Eventual, builder.Consistency);
        Assert.Equal(TimeSpan.FromSeconds(2), builder.MaxReplicaLag);
        Assert.Equal("Server=db1;User ID=app;Read Consistency=Eventual;Max Replica Lag=2", builder.ConnectionString);

        builder["Server"] = "db9";
        Assert.Equal("db9", builder["Host"]);
        Assert.True(builder.Remove("Read Consistency"));
        Assert.False(builder.ContainsKey("ReadConsistency"));
        Assert.Equal(ReadConsistency.ReadYourWrites, builder.Consistency);
        Assert.Equal("ReadYourWrites", builder["Read Consistency"]);
    }

    [Fact]
    public void Typed_properties_write_the_keys()
    {
        var builder = new ReplicaRoutingConnectionStringBuilder
        {
            Server = "db1",
            Port = 3310,
            UserID = "app",
            Password = "pw",
            Database = "shop",
            Replicas = "db2",
            Consistency = ReadConsistency.BoundedStaleness,
            ReadYourWrites = ReadYourWritesStrategy.PrimaryAfterWrite,
            CausalReadTimeout = TimeSpan.FromMilliseconds(1500),
            PrimaryAfterWriteWindow = TimeSpan.FromSeconds(3),
            ClusterId = "c1",
            TokenLifetime = TimeSpan.FromMinutes(2),
            ReplicaSelection = ReplicaSelectionPolicy.Random,
            FailedReplicaBackoff = TimeSpan.FromSeconds(1),
            MaxReplicaLag = TimeSpan.FromSeconds(4),
            MaxStaleness = TimeSpan.FromSeconds(2),
            TopologyMonitor = false,
            TopologyProbeInterval = TimeSpan.FromMilliseconds(500),
            TopologyProbeTimeout = TimeSpan.FromMilliseconds(700),
            HeartbeatTable = "hb",
            WriteHeartbeat = true,
            HeartbeatInterval = TimeSpan.FromSeconds(1),
        };

        var parsed = new ReplicaRoutingConnectionStringBuilder(builder.ConnectionString);
        var options = parsed.ToOptions();
        Assert.Equal(ReadConsistency.BoundedStaleness, options.Consistency);
        Assert.Equal(ReadYourWritesStrategy.PrimaryAfterWrite, options.ReadYourWrites);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), options.CausalReadTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), options.PrimaryAfterWriteWindow);
        Assert.Equal("c1", options.ClusterId);
        Assert.Equal(TimeSpan.FromMinutes(2), options.TokenLifetime);
        Assert.Equal(ReplicaSelectionPolicy.Random, options.ReplicaSelection);
        Assert.Equal(TimeSpan.FromSeconds(1), options.FailedReplicaBackoff);
        Assert.Equal(TimeSpan.FromSeconds(4), options.MaxReplicaLag);
        Assert.Equal(TimeSpan.FromSeconds(2), options.MaxStaleness);
        Assert.False(options.TopologyMonitor);
        Assert.Equal(TimeSpan.FromMilliseconds(500), options.TopologyProbeInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(700), options.TopologyProbeTimeout);
        Assert.Equal("hb", options.HeartbeatTable);
        Assert.True(options.WriteHeartbeat);
        Assert.Equal(TimeSpan.FromSeconds(1), options.HeartbeatInterval);
        Assert.Equal(3310u, parsed.Port);
        Assert.Equal("pw", parsed.Password);
        Assert.Equal("db2", parsed.Replicas);
    }

    [Fact]
    public void Defaults_read_back_as_the_options_defaults()
    {
        var builder = new ReplicaRoutingConnectionStringBuilder();
        var defaults = new ReplicaRoutingOptions();
        Assert.Equal(defaults.Consistency, builder.Consistency);
        Assert.Equal(defaults.CausalReadTimeout, builder.CausalReadTimeout);
        Assert.Equal(defaults.TopologyMonitor, builder.TopologyMonitor);
        Assert.Null(builder.ClusterId);
        Assert.Equal("", builder.Replicas);
        Assert.Equal("1", builder["Causal Read Timeout"]);
        Assert.Equal((defaults.SessionlessReads, defaults.CausalReadPolicy, defaults.CausalWaitBudget), (builder.SessionlessReads, builder.CausalReadPolicy, builder.CausalWaitBudget));
        Assert.Equal((SessionlessReads.DataSource, CausalReadPolicy.Adaptive, "0.05"), (builder.SessionlessReads, builder.CausalReadPolicy, builder["Causal Wait Budget"]));
        Assert.Equal(3306u, builder["Port"]);
    }

    [Fact]
    public void The_string_without_password_keeps_it_only_with_persist_security_info()
    {
        Assert.Equal("Server=db1;Port=3306;User ID=app;Database=shop;Replicas=db2",
            new ReplicaRoutingConnectionStringBuilder(Servers + ";Replicas=db2").ConnectionStringWithoutPassword());
        var persisted = new ReplicaRoutingConnectionStringBuilder(Servers + ";Persist Security Info=true");
        Assert.Equal(persisted.ConnectionString, persisted.ConnectionStringWithoutPassword());
    }

    [Fact]
    public void A_connection_string_without_a_server_fails_at_open_naming_the_key()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ReplicaRoutingConnection("User ID=app;Replicas=db2").Open());
        Assert.Contains("'Server'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_factory_creates_the_provider_types()
    {
        var factory = ReplicaRoutingProviderFactory.Instance;
        Assert.IsType<ReplicaRoutingConnection>(factory.CreateConnection());
        Assert.IsType<ReplicaRoutingCommand>(factory.CreateCommand());
        Assert.IsType<MySqlParameter>(factory.CreateParameter());
        Assert.IsType<ReplicaRoutingConnectionStringBuilder>(factory.CreateConnectionStringBuilder());
        Assert.IsType<ReplicaRoutingCommandBuilder>(factory.CreateCommandBuilder());
        Assert.IsType<ReplicaRoutingDataAdapter>(factory.CreateDataAdapter());
        Assert.IsType<ReplicaRoutingBatch>(factory.CreateBatch());
        Assert.IsType<MySqlBatchCommand>(factory.CreateBatchCommand());
        Assert.True(factory.CanCreateBatch && factory.CanCreateCommandBuilder && factory.CanCreateDataAdapter);
        Assert.False(factory.CanCreateDataSourceEnumerator);
        using var connection = new ReplicaRoutingConnection();
        Assert.Same(factory, DbProviderFactories.GetFactory(connection));
    }

    [Fact]
    public void The_command_builder_quotes_like_MySqlConnector()
    {
        using var routed = new ReplicaRoutingCommandBuilder();
        using var plain = new MySqlCommandBuilder();
        foreach (var identifier in new[] { "items", "we`ird", "" })
        {
            Assert.Equal(plain.QuoteIdentifier(identifier), routed.QuoteIdentifier(identifier));
            Assert.Equal(identifier, routed.UnquoteIdentifier(routed.QuoteIdentifier(identifier)));
        }
    }
}
