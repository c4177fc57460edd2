using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using ReplicaRouting;
using ReplicaRouting.EntityFrameworkCore.Internal;

namespace Microsoft.EntityFrameworkCore;

/// <summary>Wires an EF Core context (Pomelo provider) to a <see cref="ReplicaRoutingDataSource"/>.</summary>
public static class ReplicaRoutingDbContextOptionsBuilderExtensions
{
    /// <summary>
    /// Runs the context's commands on connections of <paramref name="dataSource"/>: queries may read replicas, while what EF
    /// writes (SaveChanges, ExecuteUpdate/ExecuteDelete, migrations) and everything inside a transaction goes to the primary.
    /// Call it after <c>UseMySql(serverVersion)</c>; the connection or connection string given there is not used.
    /// </summary>
    /// <param name="optionsBuilder">The options builder.</param>
    /// <param name="dataSource">
    /// The data source. Its connection strings need not contain Pomelo's <c>AllowUserVariables=True;UseAffectedRows=False</c>:
    /// EF's connections use pools with them (see docs/efcore.md), while plain ADO.NET connections keep what was configured.
    /// </param>
    /// <returns>The same builder, for chaining.</returns>
    public static DbContextOptionsBuilder UseReplicaRouting(this DbContextOptionsBuilder optionsBuilder, ReplicaRoutingDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(optionsBuilder);
        ArgumentNullException.ThrowIfNull(dataSource);
        var extension = optionsBuilder.Options.FindExtension<ReplicaRoutingOptionsExtension>() ?? new ReplicaRoutingOptionsExtension();
        ((IDbContextOptionsBuilderInfrastructure)optionsBuilder).AddOrUpdateExtension(extension.WithDataSource(dataSource));
        return optionsBuilder;
    }

    /// <summary>
    /// Runs the context's commands on connections of the <see cref="ReplicaRoutingDataSource"/> registered in
    /// <paramref name="serviceProvider"/> (by <c>services.AddReplicaRouting(…)</c>). Use it in
    /// <c>AddDbContext((sp, o) =&gt; o.UseMySql(…).UseReplicaRouting(sp))</c>.
    /// </summary>
    /// <param name="optionsBuilder">The options builder.</param>
    /// <param name="serviceProvider">The application's service provider.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static DbContextOptionsBuilder UseReplicaRouting(this DbContextOptionsBuilder optionsBuilder, IServiceProvider serviceProvider)
    {
        ArgumentNullException.ThrowIfNull(serviceProvider);
        var dataSource = serviceProvider.GetService<ReplicaRoutingDataSource>()
            ?? throw new InvalidOperationException("No ReplicaRoutingDataSource is registered: call services.AddReplicaRouting(…) or register one as a singleton.");
        return optionsBuilder.UseReplicaRouting(dataSource);
    }

    /// <summary>
    /// Runs the context's commands on connections of the <see cref="ReplicaRoutingDataSource"/> registered under
    /// <paramref name="serviceKey"/> (by <c>services.AddReplicaRouting(serviceKey, …)</c>): one of several clusters or databases.
    /// </summary>
    /// <param name="optionsBuilder">The options builder.</param>
    /// <param name="serviceProvider">The application's service provider.</param>
    /// <param name="serviceKey">The key the data source was registered with, e.g. <c>"orders"</c>.</param>
    /// <returns>The same builder, for chaining.</returns>
    public static DbContextOptionsBuilder UseReplicaRouting(this DbContextOptionsBuilder optionsBuilder, IServiceProvider serviceProvider, string serviceKey)
    {
        ArgumentNullException.ThrowIfNull(serviceProvider);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceKey);
        var dataSource = serviceProvider.GetKeyedService<ReplicaRoutingDataSource>(serviceKey)
            ?? throw new InvalidOperationException($"No ReplicaRoutingDataSource is registered under the key '{serviceKey}': call services.AddReplicaRouting(\"{serviceKey}\", …).");
        return optionsBuilder.UseReplicaRouting(dataSource);
    }

    /// <inheritdoc cref="UseReplicaRouting(DbContextOptionsBuilder, ReplicaRoutingDataSource)" />
    /// <typeparam name="TContext">The context type.</typeparam>
    public static DbContextOptionsBuilder<TContext> UseReplicaRouting<TContext>(this DbContextOptionsBuilder<TContext> optionsBuilder, ReplicaRoutingDataSource dataSource)
        where TContext : DbContext =>
        (DbContextOptionsBuilder<TContext>)UseReplicaRouting((DbContextOptionsBuilder)optionsBuilder, dataSource);

    /// <inheritdoc cref="UseReplicaRouting(DbContextOptionsBuilder, IServiceProvider)" />
    /// <typeparam name="TContext">The context type.</typeparam>
    public static DbContextOptionsBuilder<TContext> UseReplicaRouting<TContext>(this DbContextOptionsBuilder<TContext> optionsBuilder, IServiceProvider serviceProvider)
        where TContext : DbContext =>
        (DbContextOptionsBuilder<TContext>)UseReplicaRouting((DbContextOptionsBuilder)optionsBuilder, serviceProvider);
}
