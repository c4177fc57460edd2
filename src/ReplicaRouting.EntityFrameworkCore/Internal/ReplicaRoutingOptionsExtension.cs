// Replacing Pomelo services is what a provider add-on does: it builds on Pomelo's pubternal types (pinned to 9.0.x).
#pragma warning disable EF1001

using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pomelo.EntityFrameworkCore.MySql.Infrastructure.Internal;
using Pomelo.EntityFrameworkCore.MySql.Storage.Internal;

namespace ReplicaRouting.EntityFrameworkCore.Internal;

/// <summary>
/// The EF Core options extension behind <c>UseReplicaRouting</c>. The data source is per-context configuration: it is
/// read from the context's options when a context's connection is created, and it is NOT part of the service-provider
/// key, so every context (and every data source) shares one internal service provider.
/// </summary>
internal sealed class ReplicaRoutingOptionsExtension : IDbContextOptionsExtension
{
    private ExtensionInfo? _info;

    public ReplicaRoutingOptionsExtension()
    {
    }

    private ReplicaRoutingOptionsExtension(ReplicaRoutingOptionsExtension copyFrom) => DataSource = copyFrom.DataSource;

    /// <summary>The data source whose connections the context uses.</summary>
    public ReplicaRoutingDataSource? DataSource { get; private set; }

    public DbContextOptionsExtensionInfo Info => _info ??= new ExtensionInfo(this);

    /// <summary>A copy with another data source (options extensions are immutable once added).</summary>
    public ReplicaRoutingOptionsExtension WithDataSource(ReplicaRoutingDataSource dataSource) => new(this) { DataSource = dataSource };

    public void ApplyServices(IServiceCollection services)
    {
        // Replace works whichever of UseMySql/UseReplicaRouting came first: Pomelo registers these with TryAdd.
        services.Replace(ServiceDescriptor.Scoped<IMySqlRelationalConnection, RoutedMySqlRelationalConnection>());
        services.Replace(ServiceDescriptor.Scoped<IRelationalDatabaseCreator, RoutedMySqlDatabaseCreator>());
        services.Replace(ServiceDescriptor.Singleton<IMySqlConnectionStringOptionsValidator, RoutedConnectionStringOptionsValidator>());
        services.Replace(ServiceDescriptor.Scoped<IExecutionStrategyFactory, RoutedExecutionStrategyFactory>());
        services.AddSingleton<IInterceptor>(RoutingCommandInterceptor.Instance);   // one stateless instance for all
    }

    public void Validate(IDbContextOptions options)
    {
        if (options.FindExtension<MySqlOptionsExtension>() is not { } mySql)
            throw new InvalidOperationException("UseReplicaRouting works with Pomelo.EntityFrameworkCore.MySql: call UseMySql(serverVersion) as well.");
        if (mySql.NoBackslashEscapes && mySql.UpdateSqlModeOnOpen)
        {
            throw new InvalidOperationException(
                "SetSqlModeOnOpen() runs a session SET that would pin every routed connection to the primary. Set NoBackslashEscapes=True in the " +
                "connection strings of the ReplicaRoutingDataSource instead, and keep DisableBackslashEscaping().");
        }
    }

    private sealed class ExtensionInfo(ReplicaRoutingOptionsExtension extension) : DbContextOptionsExtensionInfo(extension)
    {
        public override bool IsDatabaseProvider => false;

        public override string LogFragment => "using ReplicaRouting ";

        // The services are the same for every data source: the data source is per-context state, not a key.
        public override int GetServiceProviderHashCode() => 0;

        public override bool ShouldUseSameServiceProvider(DbContextOptionsExtensionInfo other) => other is ExtensionInfo;

        public override void PopulateDebugInfo(IDictionary<string, string> debugInfo) => debugInfo["ReplicaRouting"] = "1";
    }
}
