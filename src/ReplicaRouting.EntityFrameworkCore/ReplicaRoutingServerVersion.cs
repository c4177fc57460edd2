using Microsoft.EntityFrameworkCore;
using ReplicaRouting.EntityFrameworkCore.Internal;

namespace ReplicaRouting.EntityFrameworkCore;

/// <summary>The <see cref="ServerVersion"/> that <c>UseMySql(serverVersion)</c> needs, read from a data source's primary.</summary>
public static class ReplicaRoutingServerVersion
{
    /// <summary>
    /// Detects the primary's version (MySQL or MariaDB) once per data source and remembers it, so calling this in a
    /// per-context options callback costs one round trip in the application's lifetime.
    /// </summary>
    /// <param name="dataSource">The data source.</param>
    /// <returns>The primary's server version.</returns>
    public static ServerVersion AutoDetect(ReplicaRoutingDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return RoutedDataSource.Of(dataSource).GetServerVersionAsync(async: false, CancellationToken.None).GetAwaiter().GetResult();
    }

    /// <inheritdoc cref="AutoDetect" />
    /// <param name="dataSource">The data source.</param>
    /// <param name="cancellationToken">A token to cancel the detection.</param>
    public static ValueTask<ServerVersion> AutoDetectAsync(ReplicaRoutingDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return RoutedDataSource.Of(dataSource).GetServerVersionAsync(async: true, cancellationToken);
    }
}
