using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>Configures and builds a <see cref="ReplicaRoutingDataSource"/>: one primary, any number of replicas.</summary>
/// <example>
/// <code>
/// var dataSource = new ReplicaRoutingDataSourceBuilder()
///     .UsePrimary("Server=db1;User ID=app;Password=…;Database=shop")
///     .AddReplica("Server=db2;User ID=app;Password=…;Database=shop")
///     .Configure(o => o.Consistency = ReadConsistency.Eventual)
///     .Build();
/// </code>
/// </example>
public sealed class ReplicaRoutingDataSourceBuilder
{
    private readonly List<string> _replicaConnectionStrings = [];
    private ReplicaRoutingOptions _options = new();
    private string? _primaryConnectionString;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private TimeProvider _timeProvider = TimeProvider.System;

    /// <summary>Sets the primary (writable) server.</summary>
    /// <param name="connectionString">A MySqlConnector connection string for the primary.</param>
    /// <returns>This builder.</returns>
    public ReplicaRoutingDataSourceBuilder UsePrimary(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _primaryConnectionString = connectionString;
        return this;
    }

    /// <summary>Adds a read replica.</summary>
    /// <param name="connectionString">A MySqlConnector connection string for the replica.</param>
    /// <returns>This builder.</returns>
    public ReplicaRoutingDataSourceBuilder AddReplica(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _replicaConnectionStrings.Add(connectionString);
        return this;
    }

    /// <summary>Changes routing options.</summary>
    /// <param name="configure">Called once with the options to change.</param>
    /// <returns>This builder.</returns>
    public ReplicaRoutingDataSourceBuilder Configure(Action<ReplicaRoutingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(_options);
        return this;
    }

    /// <summary>Uses <paramref name="options"/> (bound from configuration under DI) instead of this builder's own.</summary>
    internal ReplicaRoutingDataSourceBuilder UseOptions(ReplicaRoutingOptions options)
    {
        _options = options;
        return this;
    }

    /// <summary>Sets the logger factory used by the routing layer and by MySqlConnector's pools.</summary>
    /// <param name="loggerFactory">The logger factory.</param>
    /// <returns>This builder.</returns>
    public ReplicaRoutingDataSourceBuilder UseLoggerFactory(ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory ?? throw new ArgumentNullException(nameof(loggerFactory));
        return this;
    }

    /// <summary>Sets the clock used for back-offs and expiries (tests pass a fake one).</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>This builder.</returns>
    public ReplicaRoutingDataSourceBuilder UseTimeProvider(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        return this;
    }

    /// <summary>Validates the configuration and builds the data source.</summary>
    /// <returns>A new data source; dispose it to close its pools.</returns>
    /// <exception cref="InvalidOperationException">No primary was set.</exception>
    /// <exception cref="ArgumentException">A connection string or option is invalid; the message names which and the key.</exception>
    public ReplicaRoutingDataSource Build()
    {
        var options = RoutingConfiguration.Validate(_options);
        if (_primaryConnectionString is null)
            throw new InvalidOperationException("No primary is configured: call UsePrimary(connectionString) before Build().");

        var nodes = new List<RoutingNode>(1 + _replicaConnectionStrings.Count);
        try
        {
            nodes.Add(CreateNode(0, RouteTarget.Primary, _primaryConnectionString, "primary", options.FailedReplicaBackoff));
            for (var i = 0; i < _replicaConnectionStrings.Count; i++)
                nodes.Add(CreateNode(i + 1, RouteTarget.Replica, _replicaConnectionStrings[i], $"replica {i + 1}", options.FailedReplicaBackoff));
        }
        catch
        {
            foreach (var node in nodes)
                node.Dispose();
            throw;
        }

        var database = new MySqlConnectionStringBuilder(_primaryConnectionString).Database;
        return new ReplicaRoutingDataSource(new RoutingConfiguration(options, [.. nodes], database, _loggerFactory, _timeProvider));
    }

    private RoutingNode CreateNode(int index, RouteTarget role, string connectionString, string name, TimeSpan breakDuration)
    {
        var parsed = ParseConnectionString(connectionString, $"The {name} connection string", role == RouteTarget.Primary ? "primary" : "replica");
        var autoEnlist = parsed.AutoEnlist;
        parsed.AutoEnlist = false;   // enlisting follows the routed connection, not each physical one (RoutingNode.EnlistsInAmbientTransactions)
        var loggerFactory = _loggerFactory;
        MySqlDataSource CreatePool() => new MySqlDataSourceBuilder(parsed.ConnectionString).UseLoggerFactory(loggerFactory).Build();

        // EF Core contexts (Pomelo) need user variables and found rows: a pool of their own when the string lacks them.
        var entityFramework = new MySqlConnectionStringBuilder(parsed.ConnectionString) { AllowUserVariables = true, UseAffectedRows = false };
        Func<MySqlDataSource>? createEntityFrameworkPool = parsed.AllowUserVariables && !parsed.UseAffectedRows
            ? null
            : () => new MySqlDataSourceBuilder(entityFramework.ConnectionString).UseLoggerFactory(loggerFactory).Build();
        return new RoutingNode(index, role, CreatePool(), $"{parsed.Server}:{parsed.Port}", _timeProvider, breakDuration, CreatePool, createEntityFrameworkPool)
        {
            EnlistsInAmbientTransactions = autoEnlist,
        };
    }

    /// <summary>
    /// Parses one node's connection string; also used by start-up validation under DI. The message starts with
    /// <paramref name="subject"/> (which string it is) and never echoes the string, which holds a password.
    /// </summary>
    /// <exception cref="ArgumentException">The string is malformed or has no server.</exception>
    internal static MySqlConnectionStringBuilder ParseConnectionString(string connectionString, string subject, string? paramName)
    {
        MySqlConnectionStringBuilder parsed;
        try
        {
            parsed = new MySqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException ex)
        {
            // MySqlConnector's message names the offending key, not its value.
            throw new ArgumentException($"{subject} is invalid: {ex.Message}", paramName, ex);
        }

        if (string.IsNullOrWhiteSpace(parsed.Server))
            throw new ArgumentException($"{subject} has no 'Server' key.", paramName);
        return parsed;
    }
}
