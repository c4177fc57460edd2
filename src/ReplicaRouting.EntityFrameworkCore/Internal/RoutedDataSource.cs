using System.Runtime.CompilerServices;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using MySqlConnector;

namespace ReplicaRouting.EntityFrameworkCore.Internal;

/// <summary>
/// What EF needs to know about one <see cref="ReplicaRoutingDataSource"/>, worked out once per data source (contexts are
/// created per request): the primary's plain connection string for database creation, and the primary's server version.
/// Pomelo's mandatory options need no checking: EF's connections take the nodes' pools for EF, which have them.
/// </summary>
internal sealed class RoutedDataSource
{
    private static readonly ConditionalWeakTable<ReplicaRoutingDataSource, RoutedDataSource> s_known = [];

    private readonly SemaphoreSlim _detect = new(1, 1);
    private ServerVersion? _serverVersion;

    private RoutedDataSource(ReplicaRoutingDataSource dataSource)
    {
        DataSource = dataSource;
        DatabaseName = new MySqlConnectionStringBuilder(dataSource.Configuration.Primary.DataSource.ConnectionString).Database;
    }

    public ReplicaRoutingDataSource DataSource { get; }

    /// <summary>
    /// The current primary's connection string (the node the topology monitor found writable, else the configured one),
    /// without a database and without pooling (with its password).
    /// </summary>
    public string ServerConnectionString
    {
        get
        {
            var primary = new MySqlConnectionStringBuilder((DataSource.Topology.Writer ?? DataSource.Configuration.Primary).EntityFrameworkDataSource.ConnectionString)
            {
                Database = string.Empty,   // CREATE/DROP DATABASE connect without one
                Pooling = false,
            };
            return primary.ConnectionString;
        }
    }

    /// <summary>The database of the primary's connection string.</summary>
    public string DatabaseName { get; }

    public static RoutedDataSource Of(ReplicaRoutingDataSource dataSource) =>
        s_known.GetValue(dataSource, static d => new RoutedDataSource(d));

    /// <summary>The data source the context was configured with by <c>UseReplicaRouting</c>.</summary>
    public static RoutedDataSource Of(IDbContextOptions options) =>
        options.FindExtension<ReplicaRoutingOptionsExtension>()?.DataSource is { } dataSource
            ? Of(dataSource)
            : throw new InvalidOperationException("ReplicaRouting is not configured on this context: call UseReplicaRouting(...) on its DbContextOptionsBuilder.");

    /// <summary>The primary's version, asked once per data source.</summary>
    public async ValueTask<ServerVersion> GetServerVersionAsync(bool async, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _serverVersion) is { } known)
            return known;

        if (async)
            await _detect.WaitAsync(cancellationToken).ConfigureAwait(false);
        else
            _detect.Wait(cancellationToken);
        try
        {
            if (_serverVersion is null)
            {
                // Without a database: the version is needed before EnsureCreated/Migrate have created it.
                var detected = async
                    ? await ServerVersion.AutoDetectAsync(ServerConnectionString, cancellationToken).ConfigureAwait(false)
                    : ServerVersion.AutoDetect(ServerConnectionString);
                Volatile.Write(ref _serverVersion, detected);
            }

            return _serverVersion!;
        }
        finally
        {
            _detect.Release();
        }
    }
}
