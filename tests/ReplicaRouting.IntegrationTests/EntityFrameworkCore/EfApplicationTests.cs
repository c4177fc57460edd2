using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Transactions;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using MySqlConnector;
using ReplicaRouting.EntityFrameworkCore;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests.EntityFrameworkCore;

/// <summary>
/// EF Core as applications wire it: a generic host starting on a database that does not exist yet, connection strings
/// without Pomelo's options, write reasons, an explicitly opened connection, TransactionScope and a nested query while
/// streaming. Every test works in a database of its own (<c>rr_test_efstart_…</c>), dropped at the end. Runs once per flavor.
/// </summary>
public abstract class EfApplicationTests(TopologyFixture topology) : IAsyncLifetime
{
    private const string PomeloOptions = TopologyConfig.EfCoreOptions;

    private readonly string _database = $"rr_test_efstart_{topology.Flavor}_{Guid.NewGuid().ToString("N")[..8]}";
    private readonly List<ReplicaRoutingDataSource> _dataSources = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var dataSource in _dataSources)
            await dataSource.DisposeAsync();
        await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
        await admin.ExecuteAsync($"DROP DATABASE IF EXISTS `{_database}`");
    }

    [Fact]
    public async Task A_host_starts_on_a_database_that_does_not_exist_yet_migrates_it_uses_it_and_deletes_it()
    {
        using var host = BuildHost();
        await host.StartAsync();

        // The monitor's probes need no database: every node answered, and the primary is known.
        var dataSource = host.Services.GetRequiredService<ReplicaRoutingDataSource>();
        Assert.Equal(topology.Config.PrimaryEndpoint, dataSource.Topology.Primary?.Endpoint);
        Assert.All(dataSource.Topology.Nodes, n => Assert.NotEqual(NodeState.Unreachable, n.State));

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<EfNotes>();
            await db.Database.MigrateAsync();
            Assert.Equal([EfNotesInitial.Id], await db.Database.GetAppliedMigrationsAsync());

            db.Notes.Add(new EfNote { Text = "migrated" });
            await db.SaveChangesAsync();
            Assert.Equal("migrated", await db.Notes.Select(n => n.Text).SingleAsync());   // read-your-writes, wherever it ran
        }

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<EfNotes>();
            Assert.True(await db.Database.EnsureDeletedAsync());
            Assert.False(await db.GetService<IRelationalDatabaseCreator>().ExistsAsync());
        }

        await host.StopAsync();
    }

    [Fact]
    public async Task A_host_starts_on_a_database_that_does_not_exist_yet_and_EnsureCreated_makes_it()
    {
        using var host = BuildHost();
        await host.StartAsync();

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<EfShop>();
            Assert.True(await db.Database.EnsureCreatedAsync());
            db.Customers.Add(new EfCustomer { Name = "created", Orders = { new EfOrder { Item = "x", Quantity = 1 } } });
            await db.SaveChangesAsync();
            Assert.Equal(1, await db.Orders.CountAsync());
        }

        await using (var scope = host.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<EfShop>();
            Assert.True(db.Database.EnsureDeleted());   // the synchronous paths too
            Assert.True(db.Database.EnsureCreated());
            Assert.True(await db.Database.EnsureDeletedAsync());
        }

        // The monitor went on probing while the database came and went.
        var dataSource = host.Services.GetRequiredService<ReplicaRoutingDataSource>();
        await dataSource.RefreshTopologyAsync();
        Assert.Equal(topology.Config.PrimaryEndpoint, dataSource.Topology.Primary?.Endpoint);
        Assert.All(dataSource.Topology.Nodes, n => Assert.NotEqual(NodeState.Unreachable, n.State));
        await host.StopAsync();
    }

    [Fact]
    public async Task Connection_strings_need_no_pomelo_options_and_plain_commands_keep_their_own()
    {
        // Neither AllowUserVariables nor found rows: what plain MySqlConnector users of the same data source asked for.
        var dataSource = DataSource("UseAffectedRows=True");
        await using (var db = Shop(dataSource))
        {
            Assert.True(await db.Database.EnsureCreatedAsync());
            var customer = new EfCustomer { Name = "flags", Tier = 1 };
            db.Customers.Add(customer);
            await db.SaveChangesAsync();

            // Found rows, as Pomelo needs for concurrency checks: an UPDATE that changes nothing still matched one row.
            Assert.Equal(1, await db.Customers.Where(c => c.Id == customer.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.Tier, 1)));

            // User variables are allowed on EF's connections, on the replicas as on the primary.
            Assert.Equal(7, await db.Database.SqlQueryRaw<long>("SELECT CAST(COALESCE(@efstart_unset, 7) AS SIGNED) AS Value").SingleAsync());
            Assert.Equal(RouteTarget.Replica, Decision(db).Target);
            Assert.Equal(7, await db.Database.SqlQueryRaw<long>("SELECT CAST(COALESCE(@efstart_unset, 7) AS SIGNED) AS Value").ReadFromPrimary().SingleAsync());
        }

        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal(0, await connection.ExecuteAsync("UPDATE ef_customers SET Tier = 1 WHERE Name = 'flags'"));   // affected rows, as configured
        var undefined = await Assert.ThrowsAsync<MySqlException>(() => connection.ExecuteScalarAsync<long>("SELECT COALESCE(@efstart_unset, 7)"));
        Assert.Contains("@efstart_unset", undefined.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SaveChanges_is_reported_and_counted_as_a_write()
    {
        var cluster = "efstart-" + Guid.NewGuid().ToString("N")[..12];
        var reasons = new ConcurrentQueue<string>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument is { Name: "replicarouting.commands", Meter.Name: "ReplicaRouting" })
                listener.EnableMeasurementEvents(instrument);
        };
        meters.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var tagged = tags.ToArray().ToDictionary(t => t.Key, t => t.Value);
            if (Equals(tagged["replicarouting.cluster"], cluster) && Equals(tagged["replicarouting.target"], "primary"))
                reasons.Enqueue((string)tagged["replicarouting.reason"]!);
        });
        meters.Start();

        var dataSource = DataSource(PomeloOptions, o => o.ClusterId = cluster);
        await using (var db = Shop(dataSource))
            await db.Database.EnsureCreatedAsync();
        reasons.Clear();

        var write = new RoutingDecision(RouteTarget.Primary, RoutingReason.Write, topology.Config.PrimaryEndpoint);
        await using (var db = Shop(dataSource))
        {
            var customer = new EfCustomer { Name = "one row" };
            db.Customers.Add(customer);
            await db.SaveChangesAsync();   // one INSERT, with Pomelo's SET AUTOCOMMIT = 1 in front
            Assert.Equal(write, Decision(db));

            customer.Tier = 2;
            await db.SaveChangesAsync();
            Assert.Equal(write, Decision(db));

            db.Customers.Add(new EfCustomer { Name = "with orders", Orders = { new EfOrder { Item = "a", Quantity = 1 }, new EfOrder { Item = "b", Quantity = 2 } } });
            await db.SaveChangesAsync();   // several commands in EF's own transaction
            Assert.Equal(write, Decision(db));

            // On a connection the application opened itself, too.
            await db.Database.OpenConnectionAsync();
            db.Customers.Add(new EfCustomer { Name = "opened" });
            await db.SaveChangesAsync();
            Assert.Equal(write, Decision(db));
            customer.Tier = 3;
            await db.SaveChangesAsync();
            Assert.Equal(write, Decision(db));
            await db.Database.CloseConnectionAsync();
        }

        Assert.NotEmpty(reasons);
        Assert.DoesNotContain("session_state", reasons);
        Assert.Contains("write", reasons);

        // Every INSERT and UPDATE SaveChanges sent was counted as a write; only EF's transaction starts are not.
        Assert.All(reasons, r => Assert.Contains(r, new[] { "write", "transaction" }));
    }

    [Fact]
    public async Task An_explicitly_opened_connection_reads_replicas_again_once_its_write_has_reached_them()
    {
        var dataSource = DataSource(PomeloOptions);
        await using (var setup = Shop(dataSource))
            await setup.Database.EnsureCreatedAsync();
        await topology.WaitForReplicasAsync();

        await using var db = Shop(dataSource);
        await db.Database.OpenConnectionAsync();
        db.Customers.Add(new EfCustomer { Name = "opened" });
        await db.SaveChangesAsync();
        await topology.WaitForReplicasAsync();

        // Read-your-writes holds, and needs no primary once the replicas have the write.
        Assert.Equal(1, await db.Customers.CountAsync(c => c.Name == "opened"));
        Assert.Equal(RouteTarget.Replica, Decision(db).Target);
        Assert.Equal(RoutingReason.CausalRead, Decision(db).Reason);
        Assert.Equal(1, await db.Customers.AsNoTracking().CountAsync());
        Assert.Equal(RouteTarget.Replica, Decision(db).Target);

        // A later write on the same open connection is seen again.
        db.Customers.Add(new EfCustomer { Name = "opened" });
        await db.SaveChangesAsync();
        Assert.Equal(2, await db.Customers.CountAsync(c => c.Name == "opened"));
        await db.Database.CloseConnectionAsync();
    }

    [Fact]
    public async Task TransactionScope_around_SaveChanges_works_as_with_plain_Pomelo()
    {
        var dataSource = DataSource(PomeloOptions);
        await using (var setup = Shop(dataSource))
            await setup.Database.EnsureCreatedAsync();
        var plainOptions = new DbContextOptionsBuilder<EfShop>()
            .UseMySql(topology.Config.ConnectionString(topology.Config.PrimaryEndpoint, $"{PomeloOptions};Database={_database}"), ReplicaRoutingServerVersion.AutoDetect(dataSource))
            .Options;

        foreach (var (routed, newContext) in new (bool, Func<EfShop>)[] { (false, () => new EfShop(plainOptions)), (true, () => Shop(dataSource)) })
        {
            var committed = $"committed-{routed}";
            using (var scope = new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
            {
                await using var db = newContext();
                db.Customers.Add(new EfCustomer { Name = committed, Orders = { new EfOrder { Item = "a", Quantity = 1 } } });
                await db.SaveChangesAsync();
                db.Customers.Add(new EfCustomer { Name = committed });
                await db.SaveChangesAsync();

                // Reads inside the scope see its uncommitted writes: they run in its transaction, on the primary.
                Assert.Equal(2, await db.Customers.CountAsync(c => c.Name == committed));
                Assert.Equal(topology.PrimaryServerId, Assert.Single(await ServerIds(db).ToListAsync()));
                if (routed)
                    Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.Transaction, topology.Config.PrimaryEndpoint), Decision(db));
                scope.Complete();
            }

            var rolledBack = $"rolled-back-{routed}";
            using (new TransactionScope(TransactionScopeAsyncFlowOption.Enabled))
            {
                await using var db = newContext();
                db.Customers.Add(new EfCustomer { Name = rolledBack });
                await db.SaveChangesAsync();
            }

            await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
            await admin.ChangeDatabaseAsync(_database);
            Assert.Equal(2, await admin.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM ef_customers WHERE Name = @committed", new { committed }));
            Assert.Equal(0, await admin.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM ef_customers WHERE Name = @rolledBack", new { rolledBack }));

            // After the scope, the routed context reads its committed writes again.
            await using var after = newContext();
            Assert.Equal(2, await after.Customers.CountAsync(c => c.Name == committed));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_query_inside_a_streamed_query_fails_as_with_plain_Pomelo_whatever_the_replicas_health(bool replicasUp)
    {
        var dataSource = replicasUp
            ? DataSource(PomeloOptions)
            : DataSource(PomeloOptions, replicaEndpoints: [TopologyConfig.ClosedEndpoint(), TopologyConfig.ClosedEndpoint()]);
        await using (var setup = Shop(dataSource))
        {
            await setup.Database.EnsureCreatedAsync();
            setup.Customers.AddRange(new EfCustomer { Name = "a" }, new EfCustomer { Name = "b" });
            await setup.SaveChangesAsync();
        }

        await topology.WaitForReplicasAsync();
        var plainOptions = new DbContextOptionsBuilder<EfShop>()
            .UseMySql(topology.Config.ConnectionString(topology.Config.PrimaryEndpoint, $"{PomeloOptions};Database={_database}"), ReplicaRoutingServerVersion.AutoDetect(dataSource))
            .Options;

        var errors = new List<InvalidOperationException>();
        foreach (var db in new[] { new EfShop(plainOptions), Shop(dataSource) })
        {
            await using (db)
            {
                var streamed = 0;
                await foreach (var customer in db.Customers.AsNoTracking().OrderBy(c => c.Id).AsAsyncEnumerable())
                {
                    if (streamed++ == 0)
                        errors.Add(await Assert.ThrowsAsync<InvalidOperationException>(() => db.Orders.CountAsync(o => o.CustomerId == customer.Id)));
                }

                Assert.Equal(2, streamed);   // the stream itself goes on
                Assert.Equal(0, await db.Orders.CountAsync());   // and the context works once it ended
            }
        }

        Assert.Equal(2, errors.Count);
        Assert.All(errors, e => Assert.StartsWith("This MySqlConnection is already in use", e.Message, StringComparison.Ordinal));
    }

    private IHost BuildHost()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddReplicaRouting(o =>
        {
            o.Primary = topology.Config.ConnectionString(topology.Config.PrimaryEndpoint, $"{PomeloOptions};Database={_database}");
            foreach (var replica in topology.Config.ReplicaEndpoints)
                o.Replicas.Add(topology.Config.ConnectionString(replica, $"{PomeloOptions};Database={_database}"));
            o.Routing.Consistency = ReadConsistency.ReadYourWrites;
        });
        builder.Services.AddDbContext<EfNotes>((sp, o) => o
            .UseMySql(ReplicaRoutingServerVersion.AutoDetect(sp.GetRequiredService<ReplicaRoutingDataSource>()))
            .UseReplicaRouting(sp)
            .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning)));
        builder.Services.AddDbContext<EfShop>((sp, o) => o
            .UseMySql(ReplicaRoutingServerVersion.AutoDetect(sp.GetRequiredService<ReplicaRoutingDataSource>()))
            .UseReplicaRouting(sp));
        return builder.Build();
    }

    private ReplicaRoutingDataSource DataSource(string connectionOptions, Action<ReplicaRoutingOptions>? configure = null, IEnumerable<string>? replicaEndpoints = null)
    {
        var dataSource = topology.CreateDataSource(
            o =>
            {
                o.Consistency = ReadConsistency.ReadYourWrites;
                configure?.Invoke(o);
            },
            extraConnectionOptions: $"{connectionOptions};Database={_database}",
            replicaEndpoints: replicaEndpoints);
        _dataSources.Add(dataSource);
        return dataSource;
    }

    private static EfShop Shop(ReplicaRoutingDataSource dataSource) =>
        new(new DbContextOptionsBuilder<EfShop>().UseMySql(ReplicaRoutingServerVersion.AutoDetect(dataSource)).UseReplicaRouting(dataSource).Options);

    private static RoutingDecision Decision(DbContext db) =>
        ((ReplicaRoutingConnection)db.Database.GetDbConnection()).LastRoutingDecision ?? throw new InvalidOperationException("No command ran yet.");

    private static IQueryable<long> ServerIds(DbContext db) => db.Database.SqlQuery<long>($"SELECT @@server_id AS Value");
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbEfApplicationTests(MariaDbTopology topology) : EfApplicationTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlEfApplicationTests(MySqlTopology topology) : EfApplicationTests(topology);
