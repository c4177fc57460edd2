using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ReplicaRouting.EntityFrameworkCore;
using ReplicaRouting.IntegrationTests.EntityFrameworkCore;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// Several clusters in one application with .NET keyed services: "orders" on the MySQL topology and "billing" on the
/// MariaDB one, each from its own configuration section, with its own monitor and health check, next to the unkeyed
/// registration (MariaDB). Both flavors in one host.
/// </summary>
public sealed class KeyedRegistrationTests
{
    private static readonly TopologyConfig s_mariaDb = TopologyConfig.Load(TopologyConfig.MariaDb);
    private static readonly TopologyConfig s_mySql = TopologyConfig.Load(TopologyConfig.MySql);

    [Fact]
    public async Task Keyed_registrations_each_route_to_their_own_cluster_with_their_own_monitor_and_health_check()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(Section("ReplicaRouting", s_mariaDb).Concat(Section("Orders", s_mySql)).Concat(Section("Billing", s_mariaDb)));
        builder.Services.AddReplicaRouting(builder.Configuration.GetSection("ReplicaRouting"));
        builder.Services.AddReplicaRouting("orders", builder.Configuration.GetSection("Orders"));
        builder.Services.AddReplicaRouting("billing", builder.Configuration.GetSection("Billing"));
        builder.Services.AddReplicaRouting("orders", builder.Configuration.GetSection("Orders"));   // registers nothing twice
        builder.Services.AddSingleton<OrdersService>();
        builder.Services.AddDbContext<EfShop>((sp, o) =>
            o.UseMySql(ReplicaRoutingServerVersion.AutoDetect(sp.GetRequiredKeyedService<ReplicaRoutingDataSource>("orders"))).UseReplicaRouting(sp, "orders"));
        builder.Services.AddHealthChecks()
            .AddReplicaRouting("rr-orders", auditInterval: TimeSpan.Zero, serviceKey: "orders")
            .AddReplicaRouting("rr-billing", auditInterval: TimeSpan.Zero, serviceKey: "billing");
        await using var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        await app.StartAsync();

        var orders = app.Services.GetRequiredService<OrdersService>().DataSource;   // [FromKeyedServices("orders")]
        var billing = app.Services.GetRequiredKeyedService<ReplicaRoutingDataSource>("billing");
        var unkeyed = app.Services.GetRequiredService<ReplicaRoutingDataSource>();
        Assert.Equal(3, new[] { orders, billing, unkeyed }.Distinct().Count());
        Assert.Same(orders, app.Services.GetRequiredKeyedService<System.Data.Common.DbDataSource>("orders"));

        // Each monitor was started by the host and sees its own cluster.
        Assert.Equal(s_mySql.PrimaryEndpoint, orders.Topology.Primary?.Endpoint);
        Assert.Equal(s_mariaDb.PrimaryEndpoint, billing.Topology.Primary?.Endpoint);
        Assert.Equal(s_mariaDb.PrimaryEndpoint, unkeyed.Topology.Primary?.Endpoint);
        Assert.Contains("MariaDB", await VersionAsync(billing), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("MariaDB", await VersionAsync(orders), StringComparison.OrdinalIgnoreCase);

        // EF contexts follow the key.
        await using (var scope = app.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<EfShop>();
            Assert.DoesNotContain("MariaDB", await db.Database.SqlQueryRaw<string>("SELECT VERSION() AS Value").SingleAsync(), StringComparison.OrdinalIgnoreCase);
        }

        var health = await app.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(["rr-billing", "rr-orders"], health.Entries.Keys.Order());
        Assert.All(health.Entries.Values, e => Assert.NotEqual(HealthStatus.Unhealthy, e.Status));   // others' lag tests may degrade them
    }

    [Fact]
    public async Task A_bad_keyed_setting_fails_start_up_naming_its_own_key()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(Section("ReplicaRouting", s_mariaDb).Concat(Section("Orders", s_mySql)));
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Orders:Routing:CausalReadTimeout"] = "00:10:00" });
        builder.Services.AddReplicaRouting(builder.Configuration.GetSection("ReplicaRouting"));
        builder.Services.AddReplicaRouting("orders", builder.Configuration.GetSection("Orders"));
        await using var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        Assert.StartsWith("Orders:Routing:CausalReadTimeout must be between", Assert.Single(ex.Failures), StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Section(string name, TopologyConfig config)
    {
        var settings = new Dictionary<string, string?> { [$"{name}:Primary"] = config.ConnectionString(config.PrimaryEndpoint, TopologyConfig.EfCoreOptions) };
        for (var i = 0; i < config.ReplicaEndpoints.Count; i++)
            settings[$"{name}:Replicas:{i}"] = config.ConnectionString(config.ReplicaEndpoints[i], TopologyConfig.EfCoreOptions);
        return settings;
    }

    private static async Task<string> VersionAsync(ReplicaRoutingDataSource dataSource)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT VERSION()";
        return (string)(await command.ExecuteScalarAsync())!;
    }

    private sealed class OrdersService([FromKeyedServices("orders")] ReplicaRoutingDataSource dataSource)
    {
        public ReplicaRoutingDataSource DataSource { get; } = dataSource;
    }
}
