// Replacing Pomelo services is what a provider add-on does: it builds on Pomelo's pubternal types (pinned to 9.0.x).
#pragma warning disable EF1001

using System.Data.Common;
using Pomelo.EntityFrameworkCore.MySql.Storage.Internal;

namespace ReplicaRouting.EntityFrameworkCore.Internal;

/// <summary>
/// Pomelo's check of its mandatory connection options, except for routed data sources and connections: their physical
/// connections come from the nodes' pools for EF (<c>RoutingNode.EntityFrameworkDataSource</c>), which have the options
/// whatever the configured strings say. Plain connections (database creation) are checked and fixed as Pomelo does.
/// </summary>
internal sealed class RoutedConnectionStringOptionsValidator : MySqlConnectionStringOptionsValidator
{
    /// <returns>True when the connection string was changed (never for a routed connection).</returns>
    public override bool EnsureMandatoryOptions(DbConnection connection) =>
        connection is not ReplicaRoutingConnection && base.EnsureMandatoryOptions(connection);

    /// <returns>True when the data source is fit for Pomelo (a routed one always is).</returns>
    public override bool EnsureMandatoryOptions(DbDataSource dataSource) =>
        dataSource is ReplicaRoutingDataSource || base.EnsureMandatoryOptions(dataSource);
}
