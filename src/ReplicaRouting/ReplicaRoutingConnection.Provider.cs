using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// The provider side of the connection: creation from a connection string (see <see cref="ReplicaRoutingConnectionStringBuilder"/>),
/// its <see cref="ConnectionString"/>, what a closed connection reports, <see cref="GetSchema()"/> and the provider factory.
/// </summary>
public sealed partial class ReplicaRoutingConnection
{
    private ReplicaRoutingDataSource? _dataSource;
    private string? _connectionString;   // set by the string constructor or the setter; null for a connection of a data source built in code
    private DataSourceCache.Entry? _cached;
    private ReplicaRoutingConnectionStringBuilder? _parsed;   // _connectionString parsed (for a closed, unbound connection)
    private bool _hasBeenOpened;   // since the string was set: then ConnectionString hides the password, as MySqlConnection's does

    /// <summary>Creates a connection with no connection string; set <see cref="ConnectionString"/> before opening it.</summary>
    public ReplicaRoutingConnection()
        : this((string?)null)
    {
    }

    /// <summary>
    /// Creates a connection from a connection string: MySqlConnector's keys for the primary plus routing keys such as
    /// <c>Replicas</c> (see <see cref="ReplicaRoutingConnectionStringBuilder"/>). Connections with equal strings share one
    /// data source (its pools and topology monitor), created the first time one of them opens and kept for the process.
    /// </summary>
    /// <param name="connectionString">The connection string; it is checked when the connection opens.</param>
    public ReplicaRoutingConnection(string? connectionString)
    {
        _connectionString = connectionString ?? "";

        // Unbound until Open (BindConnectionString): nothing reads these before, every such path checks the state first.
        _configuration = null!;
        _physical = [];
        _commands = [];
    }

    /// <summary>What the classifier knows of this connection's servers (<see cref="SqlContext.Unknown"/> before it opens).</summary>
    internal SqlContext SqlContext => _dataSource?.Cluster.SqlContext ?? SqlContext.Unknown;

    internal ReplicaRoutingDataSource DataSourceOwner =>
        _dataSource ?? throw new InvalidOperationException("The connection has no data source yet: it is bound to one when it opens.");

    /// <summary>
    /// Gets or sets the connection string. For a connection created from a string: the string as set until the connection
    /// first opens, then its normalized form without the password (unless <c>Persist Security Info=true</c>), as
    /// MySqlConnection does. For a connection created by a <see cref="ReplicaRoutingDataSource"/> built in code: the
    /// primary's connection string without its password. Setting it (only while closed) makes the connection use the
    /// shared data source of the new string from its next <see cref="DbConnection.Open"/> on.
    /// </summary>
    /// <exception cref="InvalidOperationException">Set while the connection is open.</exception>
    [AllowNull]
    public override string ConnectionString
    {
        get
        {
            if (_connectionString is null)
                return DataSourceOwner.ConnectionString;
            return _hasBeenOpened && _cached is { } cached ? cached.ConnectionStringWithoutPassword : _connectionString;
        }

        set
        {
            if (_state == ConnectionState.Open)
                throw new InvalidOperationException("Cannot change the connection string on an open connection.");
            _connectionString = value ?? "";
            _hasBeenOpened = false;
            _cached = null;
            _parsed = null;
            _dataSource = null;   // bound again, to the new string's data source, at Open
        }
    }

    /// <summary>
    /// Gets the database of the primary's session when it is open (after <see cref="ChangeDatabase"/>, the new one), else the
    /// configured <c>Database</c>, as MySqlConnection reports it.
    /// </summary>
    public override string Database => (_physical.Length > 0 && _physical[0]?.State == ConnectionState.Open ? _physical[0]!.Database : null)
        ?? ConfiguredPrimary().Database;

    /// <summary>Gets the primary's configured <c>Server</c>, as MySqlConnection reports it (open or closed).</summary>
    public override string DataSource => ConfiguredPrimary().Server;

    /// <summary>Gets the configured <c>Connection Timeout</c> in seconds, as MySqlConnection reports it.</summary>
    public override int ConnectionTimeout => (int)Math.Min(int.MaxValue, ConfiguredPrimary().ConnectionTimeout);

    /// <summary>The primary's <c>Default Command Timeout</c>: what a command reports when it sets none.</summary>
    internal int DefaultCommandTimeout => _dataSource is not null
        ? _configuration.Primary.DefaultCommandTimeout
        : (int)Math.Min(int.MaxValue / 1000, ConfiguredPrimary().DefaultCommandTimeout);

    /// <inheritdoc />
    protected override DbProviderFactory DbProviderFactory => ReplicaRoutingProviderFactory.Instance;

    /// <summary>
    /// Empties the pools of every data source that connections created from connection strings share (see
    /// <see cref="ReplicaRoutingConnection(string)"/>): idle physical connections are closed, busy ones when they are given
    /// back. The data sources themselves stay (they live for the process), as MySqlConnection.ClearAllPools leaves its pools.
    /// </summary>
    public static void ClearAllPools() => DataSourceCache.ClearPoolsAsync().GetAwaiter().GetResult();

    /// <inheritdoc cref="ClearAllPools" />
    /// <returns>A task that completes once the pools are emptied.</returns>
    public static Task ClearAllPoolsAsync() => DataSourceCache.ClearPoolsAsync();

    /// <summary>Returns MySqlConnector's <c>MetaDataCollections</c>, read on the primary.</summary>
    /// <returns>The list of schema collections.</returns>
    public override DataTable GetSchema() => GetSchema("MetaDataCollections");

    /// <summary>Returns one of MySqlConnector's schema collections, read on the primary.</summary>
    /// <param name="collectionName">The collection's name (see <c>MetaDataCollections</c>).</param>
    /// <returns>The collection.</returns>
    public override DataTable GetSchema(string collectionName) => SchemaConnection().GetSchema(collectionName);

    /// <summary>Returns one of MySqlConnector's schema collections, filtered, read on the primary.</summary>
    /// <param name="collectionName">The collection's name (see <c>MetaDataCollections</c>).</param>
    /// <param name="restrictionValues">The restrictions (see <c>Restrictions</c>).</param>
    /// <returns>The collection.</returns>
    public override DataTable GetSchema(string collectionName, string?[] restrictionValues) => SchemaConnection().GetSchema(collectionName, restrictionValues);

    /// <inheritdoc cref="GetSchema()" />
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    public override Task<DataTable> GetSchemaAsync(CancellationToken cancellationToken = default) => GetSchemaAsync("MetaDataCollections", cancellationToken);

    /// <inheritdoc cref="GetSchema(string)" />
    /// <param name="collectionName">The collection's name (see <c>MetaDataCollections</c>).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    public override async Task<DataTable> GetSchemaAsync(string collectionName, CancellationToken cancellationToken = default) =>
        await (await SchemaConnectionAsync(cancellationToken).ConfigureAwait(false)).GetSchemaAsync(collectionName, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc cref="GetSchema(string, string[])" />
    /// <param name="collectionName">The collection's name (see <c>MetaDataCollections</c>).</param>
    /// <param name="restrictionValues">The restrictions (see <c>Restrictions</c>).</param>
    /// <param name="cancellationToken">A token to cancel the operation.</param>
    public override async Task<DataTable> GetSchemaAsync(string collectionName, string?[] restrictionValues, CancellationToken cancellationToken = default) =>
        await (await SchemaConnectionAsync(cancellationToken).ConfigureAwait(false)).GetSchemaAsync(collectionName, restrictionValues, cancellationToken).ConfigureAwait(false);

    /// <summary>Uses <paramref name="dataSource"/>'s nodes and configuration from now on (the connection is closed).</summary>
    [MemberNotNull(nameof(_configuration), nameof(_physical), nameof(_commands), nameof(_dataSource))]
    private void Bind(ReplicaRoutingDataSource dataSource)
    {
        if (_dataSource != dataSource)
            _implicitSession = null;   // it belongs to the previous data source's cluster
        _dataSource = dataSource;
        _configuration = dataSource.Configuration;
        var nodes = _configuration.Nodes.Length;
        if (_physical is null || _commands is null || _physical.Length != nodes)
        {
            _physical = new MySqlConnection?[nodes];
            _commands = new MySqlCommand?[nodes];
        }
    }

    /// <summary>At Open: a connection created from a string gets that string's shared data source.</summary>
    private void BindConnectionString()
    {
        if (_connectionString is null || _dataSource is not null)
            return;
        if (_connectionString.Length == 0)
            throw new InvalidOperationException("The ConnectionString property has not been initialized.");
        _cached = DataSourceCache.Get(_connectionString);
        Bind(_cached.DataSource);
        _hasBeenOpened = true;
    }

    /// <summary>The configured primary's MySqlConnector settings (parsed from the string while the connection is unbound).</summary>
    private MySqlConnectionStringBuilder ConfiguredPrimary()
    {
        if (_dataSource is not null)
            return new MySqlConnectionStringBuilder(_configuration.Primary.DataSource.ConnectionString);
        _parsed ??= new ReplicaRoutingConnectionStringBuilder(_connectionString);
        return _parsed.PrimaryConnectionString();
    }

    /// <summary>The primary's physical connection, as <see cref="ServerVersion"/> reaches it (schema reads route nowhere else).</summary>
    private MySqlConnection SchemaConnection()
    {
        EnsureOpen();
        return GetOpenPhysicalAsync(_pinnedPrimary ?? Writer(), asPrimary: true, async: false, CancellationToken.None).GetAwaiter().GetResult();
    }

    private ValueTask<MySqlConnection> SchemaConnectionAsync(CancellationToken cancellationToken)
    {
        EnsureOpen();
        return GetOpenPhysicalAsync(_pinnedPrimary ?? Writer(), asPrimary: true, async: true, cancellationToken);
    }
}
