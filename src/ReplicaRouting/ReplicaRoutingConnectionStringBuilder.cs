using System.Collections.Concurrent;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// The connection-string form of a <see cref="ReplicaRoutingDataSource"/>: a MySqlConnector connection string for the
/// primary plus routing keys. <c>Replicas</c> names the replicas, which get the same options (credentials, database, TLS,
/// pooling…) with their own host and port; the other routing keys set <see cref="ReplicaRoutingOptions"/>.
/// Every key is checked when it is set: an unknown key, or a malformed or out-of-range value, fails with an
/// <see cref="ArgumentException"/> whose message names the key.
/// </summary>
/// <example>
/// <code>
/// Server=db1;Port=3306;Replicas=db2,db3:3307;User ID=app;Password=…;Database=shop;
/// Read Consistency=ReadYourWrites;Max Replica Lag=5;Causal Read Timeout=0.5;Topology Monitor=true
/// </code>
/// </example>
/// <remarks>
/// Routing keys (each also without spaces, e.g. <c>ReadConsistency</c>; durations are decimal seconds, as MySqlConnector's):
/// <list type="table">
/// <listheader><term>key</term><description>value (option)</description></listheader>
/// <item><term>Replicas</term><description>comma-separated <c>host</c>, <c>host:port</c> or <c>[IPv6]:port</c>; a replica without a port uses the primary's <c>Port</c></description></item>
/// <item><term>Read Consistency</term><description><see cref="ReadConsistency"/> name (<see cref="ReplicaRoutingOptions.Consistency"/>)</description></item>
/// <item><term>Read Your Writes</term><description><see cref="ReadYourWritesStrategy"/> name (<see cref="ReplicaRoutingOptions.ReadYourWrites"/>)</description></item>
/// <item><term>Causal Read Timeout</term><description>seconds (<see cref="ReplicaRoutingOptions.CausalReadTimeout"/>)</description></item>
/// <item><term>Sessionless Reads</term><description><see cref="ReplicaRouting.SessionlessReads"/> name (<see cref="ReplicaRoutingOptions.SessionlessReads"/>)</description></item>
/// <item><term>Causal Read Policy</term><description><see cref="ReplicaRouting.CausalReadPolicy"/> name (<see cref="ReplicaRoutingOptions.CausalReadPolicy"/>)</description></item>
/// <item><term>Causal Wait Budget</term><description>seconds (<see cref="ReplicaRoutingOptions.CausalWaitBudget"/>)</description></item>
/// <item><term>Primary After Write Window</term><description>seconds (<see cref="ReplicaRoutingOptions.PrimaryAfterWriteWindow"/>)</description></item>
/// <item><term>Cluster Id</term><description>text (<see cref="ReplicaRoutingOptions.ClusterId"/>)</description></item>
/// <item><term>Token Lifetime</term><description>seconds (<see cref="ReplicaRoutingOptions.TokenLifetime"/>)</description></item>
/// <item><term>Replica Selection</term><description><see cref="ReplicaSelectionPolicy"/> name (<see cref="ReplicaRoutingOptions.ReplicaSelection"/>)</description></item>
/// <item><term>Failed Replica Backoff</term><description>seconds (<see cref="ReplicaRoutingOptions.FailedReplicaBackoff"/>)</description></item>
/// <item><term>Max Replica Lag</term><description>seconds (<see cref="ReplicaRoutingOptions.MaxReplicaLag"/>)</description></item>
/// <item><term>Max Staleness</term><description>seconds (<see cref="ReplicaRoutingOptions.MaxStaleness"/>)</description></item>
/// <item><term>Topology Monitor</term><description>true/false (<see cref="ReplicaRoutingOptions.TopologyMonitor"/>)</description></item>
/// <item><term>Topology Probe Interval</term><description>seconds (<see cref="ReplicaRoutingOptions.TopologyProbeInterval"/>)</description></item>
/// <item><term>Topology Probe Timeout</term><description>seconds (<see cref="ReplicaRoutingOptions.TopologyProbeTimeout"/>)</description></item>
/// <item><term>Heartbeat Table</term><description>table name (<see cref="ReplicaRoutingOptions.HeartbeatTable"/>)</description></item>
/// <item><term>Write Heartbeat</term><description>true/false (<see cref="ReplicaRoutingOptions.WriteHeartbeat"/>)</description></item>
/// <item><term>Heartbeat Interval</term><description>seconds (<see cref="ReplicaRoutingOptions.HeartbeatInterval"/>)</description></item>
/// <item><term>Max Concurrent Causal Waits</term><description>a whole number (<see cref="ReplicaRoutingOptions.MaxConcurrentCausalWaits"/>)</description></item>
/// <item><term>Max Concurrent Primary Fallbacks</term><description>a whole number (<see cref="ReplicaRoutingOptions.MaxConcurrentPrimaryFallbacks"/>)</description></item>
/// </list>
/// Every other key is MySqlConnector's (see <see cref="MySqlConnectionStringBuilder"/>) and is stored under MySqlConnector's
/// name for it (<c>Host</c> becomes <c>Server</c>).
/// </remarks>
public sealed class ReplicaRoutingConnectionStringBuilder : DbConnectionStringBuilder
{
    /// <summary>MySqlConnector's options read back at their defaults; only read, so shared.</summary>
    private static readonly MySqlConnectionStringBuilder s_mySqlDefaults = new();

    /// <summary>A keyword → MySqlConnector's canonical name for it (null: not a MySqlConnector key).</summary>
    private static readonly ConcurrentDictionary<string, string?> s_mySqlKeys = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates an empty builder.</summary>
    public ReplicaRoutingConnectionStringBuilder()
    {
    }

    /// <summary>Creates a builder from a connection string.</summary>
    /// <param name="connectionString">A connection string; every key in it is checked.</param>
    /// <exception cref="ArgumentException">A key is unknown, or its value malformed or out of range; the message names the key.</exception>
    public ReplicaRoutingConnectionStringBuilder(string? connectionString) => ConnectionString = connectionString ?? "";

    /// <summary>Gets or sets the primary's host (MySqlConnector's <c>Server</c>).</summary>
    public string Server
    {
        get => (string)this["Server"];
        set => this["Server"] = value;
    }

    /// <summary>Gets or sets the primary's port, and the port of every replica that names none.</summary>
    public uint Port
    {
        get => (uint)this["Port"];
        set => this["Port"] = value;
    }

    /// <summary>Gets or sets the user name for every server.</summary>
    public string UserID
    {
        get => (string)this["User ID"];
        set => this["User ID"] = value;
    }

    /// <summary>Gets or sets the password for every server.</summary>
    public string Password
    {
        get => (string)this["Password"];
        set => this["Password"] = value;
    }

    /// <summary>Gets or sets the database on every server.</summary>
    public string Database
    {
        get => (string)this["Database"];
        set => this["Database"] = value;
    }

    /// <summary>Gets or sets the replicas: comma-separated <c>host</c>, <c>host:port</c> or <c>[IPv6]:port</c>.</summary>
    /// <value>The default value is empty (no replicas: every command runs on the primary).</value>
    public string Replicas
    {
        get => Routing(RoutingKeys.Replicas) ?? "";
        set => this[RoutingKeys.Replicas] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.Consistency"/> (key <c>Read Consistency</c>).</summary>
    /// <value>The default value is <see cref="ReadConsistency.ReadYourWrites"/>.</value>
    public ReadConsistency Consistency
    {
        get => Options.Consistency;
        set => this[RoutingKeys.ReadConsistency] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.ReadYourWrites"/> (key <c>Read Your Writes</c>).</summary>
    /// <value>The default value is <see cref="ReadYourWritesStrategy.WaitForGtid"/>.</value>
    public ReadYourWritesStrategy ReadYourWrites
    {
        get => Options.ReadYourWrites;
        set => this[RoutingKeys.ReadYourWrites] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.CausalReadTimeout"/> (key <c>Causal Read Timeout</c>, in seconds).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan CausalReadTimeout
    {
        get => Options.CausalReadTimeout;
        set => this[RoutingKeys.CausalReadTimeout] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.SessionlessReads"/> (key <c>Sessionless Reads</c>).</summary>
    /// <value>The default value is <see cref="SessionlessReads.DataSource"/>.</value>
    public SessionlessReads SessionlessReads
    {
        get => Options.SessionlessReads;
        set => this[RoutingKeys.SessionlessReads] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.CausalReadPolicy"/> (key <c>Causal Read Policy</c>).</summary>
    /// <value>The default value is <see cref="CausalReadPolicy.Adaptive"/>.</value>
    public CausalReadPolicy CausalReadPolicy
    {
        get => Options.CausalReadPolicy;
        set => this[RoutingKeys.CausalReadPolicy] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.CausalWaitBudget"/> (key <c>Causal Wait Budget</c>, in seconds).</summary>
    /// <value>The default value is 50 milliseconds.</value>
    public TimeSpan CausalWaitBudget
    {
        get => Options.CausalWaitBudget;
        set => this[RoutingKeys.CausalWaitBudget] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.PrimaryAfterWriteWindow"/> (key <c>Primary After Write Window</c>, in seconds).</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan PrimaryAfterWriteWindow
    {
        get => Options.PrimaryAfterWriteWindow;
        set => this[RoutingKeys.PrimaryAfterWriteWindow] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.ClusterId"/> (key <c>Cluster Id</c>).</summary>
    /// <value>The default value is <see langword="null"/> (derived from the servers and database).</value>
    public string? ClusterId
    {
        get => Options.ClusterId;
        set => this[RoutingKeys.ClusterId] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.TokenLifetime"/> (key <c>Token Lifetime</c>, in seconds).</summary>
    /// <value>The default value is 5 minutes.</value>
    public TimeSpan TokenLifetime
    {
        get => Options.TokenLifetime;
        set => this[RoutingKeys.TokenLifetime] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.ReplicaSelection"/> (key <c>Replica Selection</c>).</summary>
    /// <value>The default value is <see cref="ReplicaSelectionPolicy.RoundRobin"/>.</value>
    public ReplicaSelectionPolicy ReplicaSelection
    {
        get => Options.ReplicaSelection;
        set => this[RoutingKeys.ReplicaSelection] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.FailedReplicaBackoff"/> (key <c>Failed Replica Backoff</c>, in seconds).</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan FailedReplicaBackoff
    {
        get => Options.FailedReplicaBackoff;
        set => this[RoutingKeys.FailedReplicaBackoff] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.MaxReplicaLag"/> (key <c>Max Replica Lag</c>, in seconds).</summary>
    /// <value>The default value is 5 seconds.</value>
    public TimeSpan MaxReplicaLag
    {
        get => Options.MaxReplicaLag;
        set => this[RoutingKeys.MaxReplicaLag] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.MaxStaleness"/> (key <c>Max Staleness</c>, in seconds).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan MaxStaleness
    {
        get => Options.MaxStaleness;
        set => this[RoutingKeys.MaxStaleness] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.TopologyMonitor"/> (key <c>Topology Monitor</c>).</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool TopologyMonitor
    {
        get => Options.TopologyMonitor;
        set => this[RoutingKeys.TopologyMonitor] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.TopologyProbeInterval"/> (key <c>Topology Probe Interval</c>, in seconds).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan TopologyProbeInterval
    {
        get => Options.TopologyProbeInterval;
        set => this[RoutingKeys.TopologyProbeInterval] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.TopologyProbeTimeout"/> (key <c>Topology Probe Timeout</c>, in seconds).</summary>
    /// <value>The default value is 1 second.</value>
    public TimeSpan TopologyProbeTimeout
    {
        get => Options.TopologyProbeTimeout;
        set => this[RoutingKeys.TopologyProbeTimeout] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.HeartbeatTable"/> (key <c>Heartbeat Table</c>).</summary>
    /// <value>The default value is <see langword="null"/>.</value>
    public string? HeartbeatTable
    {
        get => Options.HeartbeatTable;
        set => this[RoutingKeys.HeartbeatTable] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.WriteHeartbeat"/> (key <c>Write Heartbeat</c>).</summary>
    /// <value>The default value is <see langword="false"/>.</value>
    public bool WriteHeartbeat
    {
        get => Options.WriteHeartbeat;
        set => this[RoutingKeys.WriteHeartbeat] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.HeartbeatInterval"/> (key <c>Heartbeat Interval</c>, in seconds).</summary>
    /// <value>The default value is 250 milliseconds.</value>
    public TimeSpan HeartbeatInterval
    {
        get => Options.HeartbeatInterval;
        set => this[RoutingKeys.HeartbeatInterval] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.MaxConcurrentCausalWaits"/> (key <c>Max Concurrent Causal Waits</c>).</summary>
    /// <value>The default value is <see langword="null"/> (half the replicas' pools).</value>
    public int? MaxConcurrentCausalWaits
    {
        get => Options.MaxConcurrentCausalWaits;
        set => this[RoutingKeys.MaxConcurrentCausalWaits] = value;
    }

    /// <summary>Gets or sets <see cref="ReplicaRoutingOptions.MaxConcurrentPrimaryFallbacks"/> (key <c>Max Concurrent Primary Fallbacks</c>).</summary>
    /// <value>The default value is <see langword="null"/> (a quarter of the primary's pool).</value>
    public int? MaxConcurrentPrimaryFallbacks
    {
        get => Options.MaxConcurrentPrimaryFallbacks;
        set => this[RoutingKeys.MaxConcurrentPrimaryFallbacks] = value;
    }

    /// <summary>
    /// Gets or sets a key's value. A routing key reads back in its normalized text form (<c>0.5</c>, <c>ReadYourWrites</c>),
    /// a MySqlConnector key as <see cref="MySqlConnectionStringBuilder"/> returns it; an unset key reads as its default.
    /// Setting <see langword="null"/> removes the key.
    /// </summary>
    /// <param name="keyword">The key, in any of its spellings.</param>
    /// <exception cref="ArgumentException">The key is unknown, or the value malformed or out of range; the message names the key.</exception>
    [AllowNull]
    public override object this[string keyword]
    {
        get
        {
            ArgumentNullException.ThrowIfNull(keyword);
            if (RoutingKeys.Canonical(keyword) is { } key)
                return Routing(key) ?? DefaultText(key);
            var mySqlKey = MySqlKey(keyword) ?? throw Unknown(keyword);
            if (!base.TryGetValue(mySqlKey, out var value))
                return s_mySqlDefaults[mySqlKey];
            return new MySqlConnectionStringBuilder { [mySqlKey] = value }[mySqlKey];   // typed, as MySqlConnector reads it
        }

        set
        {
            ArgumentNullException.ThrowIfNull(keyword);
            if (value is null)
            {
                Remove(keyword);
                return;
            }

            if (RoutingKeys.Canonical(keyword) is { } key)
            {
                base[key] = RoutingKeys.Normalize(key, value);
                return;
            }

            var mySqlKey = MySqlKey(keyword) ?? throw Unknown(keyword);
            base[mySqlKey] = CheckMySqlValue(keyword, mySqlKey, value);
        }
    }

    /// <inheritdoc />
    public override bool ContainsKey(string keyword)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        return Canonical(keyword) is { } key && base.ContainsKey(key);
    }

    /// <inheritdoc />
    public override bool Remove(string keyword)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        return Canonical(keyword) is { } key && base.Remove(key);
    }

    /// <inheritdoc />
    public override bool ShouldSerialize(string keyword)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        return Canonical(keyword) is { } key && base.ShouldSerialize(key);
    }

    /// <inheritdoc />
    public override bool TryGetValue(string keyword, [NotNullWhen(true)] out object? value)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        if (Canonical(keyword) is { } key)
            return base.TryGetValue(key, out value);
        value = null;
        return false;
    }

    /// <summary>The routing options these keys set (unset keys at their defaults), checked as a whole (rules tying two options).</summary>
    /// <exception cref="ArgumentException">A rule is broken; the message names the key.</exception>
    internal ReplicaRoutingOptions ToOptions()
    {
        var options = Options;
        foreach (var (name, message, _) in RoutingConfiguration.Check(options, prefix: ""))
            throw new ArgumentException($"The connection string key '{RoutingKeys.KeyOf(name)}' is invalid: {message}", "connectionString");
        return options;
    }

    /// <summary>The keys and values in key order: equal for strings that differ only in key order, spelling or spacing.</summary>
    internal string NormalizedForm()
    {
        var sorted = new DbConnectionStringBuilder();
        foreach (var key in Keys.Cast<string>().Order(StringComparer.OrdinalIgnoreCase))
            sorted[key] = base[key];
        return sorted.ConnectionString;
    }

    /// <summary>The primary's MySqlConnector connection string: every key that is not a routing key.</summary>
    internal MySqlConnectionStringBuilder PrimaryConnectionString()
    {
        var primary = new MySqlConnectionStringBuilder();
        foreach (string key in Keys)
        {
            if (RoutingKeys.Canonical(key) is null && base.TryGetValue(key, out var value))
                primary[key] = value;
        }

        return primary;
    }

    /// <summary>Each replica's MySqlConnector connection string: the primary's, with the replica's host and port.</summary>
    internal IEnumerable<string> ReplicaConnectionStrings()
    {
        var primary = PrimaryConnectionString();
        foreach (var (host, port) in RoutingKeys.Hosts(Replicas))
        {
            var replica = new MySqlConnectionStringBuilder(primary.ConnectionString) { Server = host };
            if (port is { } own)
                replica.Port = own;
            yield return replica.ConnectionString;
        }
    }

    /// <summary>A new data source over these servers with these options (validated: a bad key fails naming it).</summary>
    internal ReplicaRoutingDataSource BuildDataSource()
    {
        var options = ToOptions();
        var builder = new ReplicaRoutingDataSourceBuilder().UsePrimary(PrimaryConnectionString().ConnectionString);
        foreach (var replica in ReplicaConnectionStrings())
            builder.AddReplica(replica);
        return builder.UseOptions(options).Build();
    }

    /// <summary>This string without its password, unless <c>Persist Security Info</c> is true (what MySqlConnector shows once open).</summary>
    internal string ConnectionStringWithoutPassword()
    {
        if (PrimaryConnectionString().PersistSecurityInfo)
            return ConnectionString;
        var copy = new ReplicaRoutingConnectionStringBuilder { ConnectionString = ConnectionString };
        copy.Remove("Password");
        return copy.ConnectionString;
    }

    private ReplicaRoutingOptions Options
    {
        get
        {
            var options = new ReplicaRoutingOptions();
            foreach (var key in RoutingKeys.All)
            {
                if (Routing(key) is { } value)
                    RoutingKeys.Apply(options, key, value);
            }

            return options;
        }
    }

    private string? Routing(string key) => base.TryGetValue(key, out var value) ? (string)value : null;

    private static string DefaultText(string key) => key switch
    {
        RoutingKeys.Replicas => "",
        RoutingKeys.ClusterId or RoutingKeys.HeartbeatTable => "",
        RoutingKeys.MaxConcurrentCausalWaits or RoutingKeys.MaxConcurrentPrimaryFallbacks => "",   // derived from the pools
        _ => DefaultOf(key),
    };

    private static string DefaultOf(string key)
    {
        var defaults = new ReplicaRoutingOptions();
        return key switch
        {
            RoutingKeys.ReadConsistency => defaults.Consistency.ToString(),
            RoutingKeys.ReadYourWrites => defaults.ReadYourWrites.ToString(),
            RoutingKeys.ReplicaSelection => defaults.ReplicaSelection.ToString(),
            RoutingKeys.SessionlessReads => defaults.SessionlessReads.ToString(),
            RoutingKeys.CausalReadPolicy => defaults.CausalReadPolicy.ToString(),
            RoutingKeys.CausalWaitBudget => RoutingKeys.Seconds(defaults.CausalWaitBudget),
            RoutingKeys.TopologyMonitor => defaults.TopologyMonitor ? "true" : "false",
            RoutingKeys.WriteHeartbeat => defaults.WriteHeartbeat ? "true" : "false",
            RoutingKeys.CausalReadTimeout => RoutingKeys.Seconds(defaults.CausalReadTimeout),
            RoutingKeys.PrimaryAfterWriteWindow => RoutingKeys.Seconds(defaults.PrimaryAfterWriteWindow),
            RoutingKeys.TokenLifetime => RoutingKeys.Seconds(defaults.TokenLifetime),
            RoutingKeys.FailedReplicaBackoff => RoutingKeys.Seconds(defaults.FailedReplicaBackoff),
            RoutingKeys.MaxReplicaLag => RoutingKeys.Seconds(defaults.MaxReplicaLag),
            RoutingKeys.MaxStaleness => RoutingKeys.Seconds(defaults.MaxStaleness),
            RoutingKeys.TopologyProbeInterval => RoutingKeys.Seconds(defaults.TopologyProbeInterval),
            RoutingKeys.TopologyProbeTimeout => RoutingKeys.Seconds(defaults.TopologyProbeTimeout),
            _ => RoutingKeys.Seconds(defaults.HeartbeatInterval),
        };
    }

    /// <summary>The canonical name of any key this builder knows, routing or MySqlConnector.</summary>
    private static string? Canonical(string keyword) => RoutingKeys.Canonical(keyword) ?? MySqlKey(keyword);

    /// <summary>MySqlConnector's own name for one of its keys (<c>Host</c> → <c>Server</c>), or null when it has no such key.</summary>
    private static string? MySqlKey(string keyword) => s_mySqlKeys.GetOrAdd(keyword.Trim(), static keyword =>
    {
        try
        {
            var scratch = new MySqlConnectionStringBuilder();
            scratch[keyword] = s_mySqlDefaults[keyword] ?? "";
            return scratch.Keys.Cast<string>().Single();
        }
        catch (ArgumentException)
        {
            return null;
        }
    });

    /// <summary>The value as MySqlConnector stores it, after MySqlConnector's own check of it.</summary>
    private static object CheckMySqlValue(string keyword, string mySqlKey, object value)
    {
        var scratch = new MySqlConnectionStringBuilder();
        try
        {
            scratch[mySqlKey] = value;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or OverflowException or InvalidCastException)
        {
            throw new ArgumentException($"The connection string key '{keyword}' has an invalid value: {ex.Message}", nameof(keyword), ex);
        }

        return scratch.TryGetValue(mySqlKey, out var stored) ? stored : value;
    }

    private static ArgumentException Unknown(string keyword) =>
        new($"The connection string key '{keyword}' is not supported: it is neither a ReplicaRouting key nor a MySqlConnector option.", nameof(keyword));
}
