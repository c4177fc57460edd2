using System.Collections.Concurrent;
using Dapper;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReplicaRouting.EntityFrameworkCore;
using ReplicaRouting.IntegrationTests.Infrastructure;
using ReplicaRouting.Internal;

namespace ReplicaRouting.IntegrationTests.EntityFrameworkCore;

/// <summary>EF Core (Pomelo) over a routed data source, on real replicas with real lag. Runs once per flavor.</summary>
public abstract class EfCoreRoutingTests(TopologyFixture topology) : IDisposable
{
    private const string PomeloOptions = TopologyConfig.EfCoreOptions;
    private static readonly ConcurrentDictionary<string, Task> s_schema = new();
    private static readonly RoutingReason[] s_causal = [RoutingReason.CausalRead, RoutingReason.CausalWaitTimedOut];

    private readonly ReplicaControl _replicas = new(topology);
    private readonly List<ReplicaRoutingDataSource> _dataSources = [];

    public void Dispose()
    {
        foreach (var dataSource in _dataSources)
            dataSource.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task SaveChanges_then_queries_in_the_same_context_see_the_write_under_lag()
    {
        var dataSource = await DataSourceAsync();
        await using var db = Shop(dataSource);
        var name = NewName();
        await using (await _replicas.PauseApplyAsync())
        {
            db.Customers.Add(new EfCustomer { Name = name, Orders = { new EfOrder { Item = "a", Quantity = 1 }, new EfOrder { Item = "b", Quantity = 2 } } });
            await db.SaveChangesAsync();
            Assert.Equal(RouteTarget.Primary, Decision(db).Target);

            var fresh = await db.Customers.AsNoTracking().Include(c => c.Orders).SingleAsync(c => c.Name == name);
            Assert.Equal(2, fresh.Orders.Count);
            Assert.Contains(Decision(db).Reason, s_causal);

            var tracked = await db.Customers.Where(c => c.Name == name).ToListAsync();
            Assert.Single(tracked);
            Assert.Contains(Decision(db).Reason, s_causal);

            // The lag is real: a read that does not ask for the writes reads the stale replica.
            await using var other = Shop(dataSource);
            Assert.Equal(0, await other.Customers.ReadFromAnyReplica().CountAsync(c => c.Name == name));
            Assert.Equal(RouteTarget.Replica, Decision(other).Target);
        }
    }

    [Fact]
    public async Task The_next_request_sees_the_write_through_the_token_under_lag()
    {
        var dataSource = await DataSourceAsync();
        var name = NewName();
        await using (await _replicas.PauseApplyAsync())
        {
            string token;
            using (var session = dataSource.BeginSession())
            await using (var db = Shop(dataSource))
            {
                db.Customers.Add(new EfCustomer { Name = name });
                await db.SaveChangesAsync();
                token = session.Token!.ToString();
            }

            using (dataSource.BeginSession(token))
            await using (var db = Shop(dataSource))
            {
                Assert.Equal(1, await db.Customers.CountAsync(c => c.Name == name));
                Assert.Contains(Decision(db).Reason, s_causal);
            }

            using (dataSource.BeginSession((string?)null))
            await using (var db = Shop(dataSource))
            {
                Assert.Equal(0, await db.Customers.CountAsync(c => c.Name == name));
                Assert.Equal(new RoutingDecision(RouteTarget.Replica, RoutingReason.Read, Decision(db).Node), Decision(db));
            }
        }
    }

    [Fact]
    public async Task ExecuteUpdate_and_ExecuteDelete_run_on_the_primary_and_are_seen_under_lag()
    {
        var dataSource = await DataSourceAsync();
        await using var db = Shop(dataSource);
        var name = NewName();
        await using (await _replicas.PauseApplyAsync())
        {
            db.Customers.Add(new EfCustomer { Name = name, Tier = 1 });
            await db.SaveChangesAsync();

            Assert.Equal(1, await db.Customers.Where(c => c.Name == name).ExecuteUpdateAsync(s => s.SetProperty(c => c.Tier, 7)));
            Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.Write, topology.Config.PrimaryEndpoint), Decision(db));
            Assert.Equal(7, await db.Customers.Where(c => c.Name == name).Select(c => c.Tier).SingleAsync());
            Assert.Contains(Decision(db).Reason, s_causal);

            Assert.Equal(1, await db.Customers.Where(c => c.Name == name).ExecuteDeleteAsync());
            Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.Write, topology.Config.PrimaryEndpoint), Decision(db));
            Assert.Equal(0, await db.Customers.CountAsync(c => c.Name == name));
            Assert.Contains(Decision(db).Reason, s_causal);
        }
    }

    [Fact]
    public async Task Raw_sql_is_routed_by_its_text()
    {
        var dataSource = await DataSourceAsync();
        await using var db = Shop(dataSource);
        var name = NewName();

        Assert.Equal(1, await db.Database.ExecuteSqlAsync($"INSERT INTO ef_customers (Name, Tier) VALUES ({name}, 3)"));
        Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.Write, topology.Config.PrimaryEndpoint), Decision(db));
        await topology.WaitForReplicasAsync();

        var rows = await db.Customers.FromSql($"SELECT * FROM ef_customers WHERE Name = {name}").AsNoTracking().ToListAsync();
        Assert.Equal(3, Assert.Single(rows).Tier);
        Assert.Equal(RouteTarget.Replica, Decision(db).Target);
        Assert.Equal(RoutingReason.CausalRead, Decision(db).Reason);

        var composed = await db.Customers.FromSql($"SELECT * FROM ef_customers WHERE Tier = {3}").Where(c => c.Name == name).CountAsync();
        Assert.Equal(1, composed);
        Assert.Equal(RouteTarget.Replica, Decision(db).Target);

        var serverIds = await db.Database.SqlQuery<long>($"SELECT @@server_id AS Value").ToListAsync();
        Assert.True(topology.IsReplica(Assert.Single(serverIds)));

        // A locking read in raw SQL needs the primary, whoever wrote it.
        await using (var transaction = await db.Database.BeginTransactionAsync())
        {
            Assert.Single(await db.Customers.FromSql($"SELECT * FROM ef_customers WHERE Name = {name} FOR UPDATE").ToListAsync());
            Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.Transaction, topology.Config.PrimaryEndpoint), Decision(db));
            await transaction.CommitAsync();
        }

        Assert.Single(await db.Customers.FromSql($"SELECT * FROM ef_customers WHERE Name = {name} LOCK IN SHARE MODE").AsNoTracking().ToListAsync());
        Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.LockingRead, topology.Config.PrimaryEndpoint), Decision(db));
    }

    [Fact]
    public async Task Includes_and_split_queries_read_replicas_and_see_the_write()
    {
        var dataSource = await DataSourceAsync();
        await using var db = Shop(dataSource);
        var name = NewName();
        await using (await _replicas.PauseApplyAsync())
        {
            db.Customers.Add(new EfCustomer { Name = name, Orders = { new EfOrder { Item = "a", Quantity = 1 }, new EfOrder { Item = "b", Quantity = 2 }, new EfOrder { Item = "c", Quantity = 3 } } });
            await db.SaveChangesAsync();
            db.ChangeTracker.Clear();

            var split = await db.Customers.Include(c => c.Orders).AsSplitQuery().SingleAsync(c => c.Name == name);
            Assert.Equal(6, split.Orders.Sum(o => o.Quantity));
            Assert.Contains(Decision(db).Reason, s_causal);
        }

        await topology.WaitForReplicasAsync();
        await using var reader = Shop(dataSource);
        var single = await reader.Customers.AsNoTracking().Include(c => c.Orders).AsSingleQuery().SingleAsync(c => c.Name == name);
        Assert.Equal(3, single.Orders.Count);
        Assert.Equal(new RoutingDecision(RouteTarget.Replica, RoutingReason.CausalRead, Decision(reader).Node), Decision(reader));   // outside a session: the data source's writes
        var splitAgain = await reader.Customers.AsNoTracking().Include(c => c.Orders).AsSplitQuery().SingleAsync(c => c.Name == name);
        Assert.Equal(3, splitAgain.Orders.Count);
        Assert.Equal(RouteTarget.Replica, Decision(reader).Target);
    }

    [Fact]
    public async Task An_ef_transaction_keeps_every_query_on_the_primary_and_is_seen_after_commit()
    {
        var dataSource = await DataSourceAsync();
        await using var db = Shop(dataSource);
        var name = NewName();
        await using (await _replicas.PauseApplyAsync())
        {
            await using (var transaction = await db.Database.BeginTransactionAsync())
            {
                Assert.Equal(topology.PrimaryServerId, Assert.Single(await ServerIds(db).ToListAsync()));
                Assert.Equal(RoutingReason.Transaction, Decision(db).Reason);

                db.Customers.Add(new EfCustomer { Name = name, Orders = { new EfOrder { Item = "a", Quantity = 1 } } });
                await db.SaveChangesAsync();
                Assert.Equal(1, await db.Customers.AsNoTracking().CountAsync(c => c.Name == name));
                Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.Transaction, topology.Config.PrimaryEndpoint), Decision(db));
                await transaction.CommitAsync();
            }

            // The transaction's pin ended with it; its write was captured at commit.
            Assert.Equal(1, await db.Customers.AsNoTracking().CountAsync(c => c.Name == name));
            Assert.Contains(Decision(db).Reason, s_causal);
            Assert.True(topology.IsReplica(Assert.Single(await ServerIds(db).ReadFromAnyReplica().ToListAsync())));
        }
    }

    [Fact]
    public async Task ReadFromPrimary_sends_the_query_to_the_primary()
    {
        var dataSource = await DataSourceAsync();
        await using var db = Shop(dataSource);

        Assert.True(topology.IsReplica(Assert.Single(await ServerIds(db).ToListAsync())));
        Assert.Equal(RoutingReason.Read, Decision(db).Reason);

        Assert.Equal(topology.PrimaryServerId, Assert.Single(await ServerIds(db).ReadFromPrimary().ToListAsync()));
        Assert.Equal(new RoutingDecision(RouteTarget.Primary, RoutingReason.ReadFromPrimaryHint, topology.Config.PrimaryEndpoint), Decision(db));

        await db.Customers.ReadFromPrimary().Where(c => c.Tier > 100).Include(c => c.Orders).AsSplitQuery().ToListAsync();
        Assert.Equal(RoutingReason.ReadFromPrimaryHint, Decision(db).Reason);

        // Asking for both: the primary wins.
        Assert.Equal(topology.PrimaryServerId, Assert.Single(await ServerIds(db).ReadFromAnyReplica().ReadFromPrimary().ToListAsync()));
    }

    [Fact]
    public async Task ReadFromAnyReplica_reads_a_replica_without_waiting_for_the_session()
    {
        var dataSource = await DataSourceAsync();
        await using var db = Shop(dataSource);
        var name = NewName();
        await using (await _replicas.PauseApplyAsync())
        {
            db.Customers.Add(new EfCustomer { Name = name });
            await db.SaveChangesAsync();

            Assert.Equal(0, await db.Customers.ReadFromAnyReplica().CountAsync(c => c.Name == name));   // a report may be stale
            Assert.Equal(new RoutingDecision(RouteTarget.Replica, RoutingReason.Read, Decision(db).Node), Decision(db));
            Assert.Equal(1, await db.Customers.CountAsync(c => c.Name == name));
            Assert.Contains(Decision(db).Reason, s_causal);
        }
    }

    [Fact]
    public async Task EnsureCreated_and_EnsureDeleted_work_on_a_database_of_their_own()
    {
        var database = NewDatabaseName();
        var dataSource = await DataSourceAsync(database);
        try
        {
            await using (var db = Shop(dataSource))
            {
                var creator = db.GetService<IRelationalDatabaseCreator>();
                Assert.False(await creator.ExistsAsync());
                Assert.True(await db.Database.EnsureCreatedAsync());
                Assert.True(await creator.ExistsAsync());
                Assert.False(db.Database.EnsureCreated());   // exists and has tables (asked on the primary)

                db.Customers.Add(new EfCustomer { Name = "created", Orders = { new EfOrder { Item = "x", Quantity = 1 } } });
                await db.SaveChangesAsync();
                Assert.Equal(1, await db.Customers.ReadFromPrimary().CountAsync());
            }

            await using (var db = Shop(dataSource))
            {
                Assert.True(await db.Database.EnsureDeletedAsync());
                Assert.False(await db.GetService<IRelationalDatabaseCreator>().ExistsAsync());
                Assert.False(db.Database.EnsureDeleted());
            }

            await using (var db = Shop(dataSource))
            {
                Assert.True(db.Database.EnsureCreated());   // the synchronous path too
                Assert.True(db.Database.EnsureDeleted());
            }
        }
        finally
        {
            await DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task Migrate_applies_a_hand_written_migration_on_the_primary()
    {
        var database = NewDatabaseName();
        var dataSource = await DataSourceAsync(database);
        try
        {
            await using (var db = Notes(dataSource))
            {
                await db.Database.MigrateAsync();
                Assert.Equal([EfNotesInitial.Id], await db.Database.GetAppliedMigrationsAsync());
                Assert.Equal(RouteTarget.Primary, Decision(db).Target);   // the history table is read on the primary

                db.Notes.Add(new EfNote { Text = "migrated" });
                await db.SaveChangesAsync();
                Assert.Equal("migrated", await db.Notes.Select(n => n.Text).SingleAsync());
            }

            await using (var db = Notes(dataSource))
            {
                db.Database.Migrate();   // nothing pending: a no-op, synchronously
                Assert.Empty(await db.Database.GetPendingMigrationsAsync());
                Assert.True(await db.Database.EnsureDeletedAsync());
            }
        }
        finally
        {
            await DropDatabaseAsync(database);
        }
    }

    [Fact]
    public async Task Pooled_contexts_route_and_start_each_lease_with_a_fresh_connection()
    {
        // Per-connection sessionless reads: the previous lease's write follows only if its connection came back with the context.
        var dataSource = await DataSourceAsync(configure: o => o.SessionlessReads = SessionlessReads.Connection);
        var services = new ServiceCollection();
        services.AddSingleton(dataSource);
        services.AddDbContextPool<EfShop>(
            (sp, o) => o.UseMySql(ReplicaRoutingServerVersion.AutoDetect(sp.GetRequiredService<ReplicaRoutingDataSource>())).UseReplicaRouting(sp),
            poolSize: 1);
        await using var provider = services.BuildServiceProvider();

        EfShop first;
        var name = NewName();
        await using (var scope = provider.CreateAsyncScope())
        {
            first = scope.ServiceProvider.GetRequiredService<EfShop>();
            first.Customers.Add(new EfCustomer { Name = name });
            await first.SaveChangesAsync();
            Assert.Equal(1, await first.Customers.AsNoTracking().CountAsync(c => c.Name == name));
            Assert.Contains(Decision(first).Reason, s_causal);
        }

        await using (var scope = provider.CreateAsyncScope())
        {
            var second = scope.ServiceProvider.GetRequiredService<EfShop>();
            Assert.Same(first, second);   // the pooled instance came back
            Assert.True(topology.IsReplica(Assert.Single(await ServerIds(second).ToListAsync())));
            Assert.Equal(RoutingReason.Read, Decision(second).Reason);   // the previous lease's write does not follow
        }
    }

    [Fact]
    public async Task Every_data_source_shares_one_internal_service_provider()
    {
        var one = await DataSourceAsync();
        var two = await DataSourceAsync();
        await using var first = Shop(one);
        await using var second = Shop(two);
        Assert.Same(first.GetService<ISqlGenerationHelper>(), second.GetService<ISqlGenerationHelper>());
        Assert.Single(first.GetService<IEnumerable<IInterceptor>>(), i => i.GetType().Name == "RoutingCommandInterceptor");

        // ...and each context still uses its own data source.
        Assert.True(topology.IsReplica(Assert.Single(await ServerIds(first).ToListAsync())));
        Assert.True(topology.IsReplica(Assert.Single(await ServerIds(second).ToListAsync())));
        Assert.NotSame(first.Database.GetDbConnection(), second.Database.GetDbConnection());
    }

    private static RoutingDecision Decision(DbContext db) =>
        ((ReplicaRoutingConnection)db.Database.GetDbConnection()).LastRoutingDecision ?? throw new InvalidOperationException("No command ran yet.");

    private static IQueryable<long> ServerIds(DbContext db) => db.Database.SqlQuery<long>($"SELECT @@server_id AS Value");

    /// <summary>
    /// EF's own retry (<c>EnableRetryOnFailure</c>) covers what a routed connection reports when no primary is known: the
    /// strategy keeps the settings given to Pomelo, and a SaveChanges that nothing accepted is retried, never lost silently.
    /// The "primary" here is a read-only replica, so the monitor knows of no writable node (nothing is killed).
    /// </summary>
    [Fact]
    public async Task EnableRetryOnFailure_retries_SaveChanges_while_no_primary_is_available_with_Pomelos_settings()
    {
        await EnsureSchemaAsync();
        var readOnlyNode = topology.Config.ReplicaEndpoints[0];
        var dataSource = topology.CreateDataSource(
            o => o.TopologyMonitor = true,
            PomeloOptions,
            replicaEndpoints: [topology.Config.ReplicaEndpoints[1]],
            build: b => b.UsePrimary(topology.Config.ConnectionString(readOnlyNode, PomeloOptions)));
        _dataSources.Add(dataSource);
        Assert.Null((await dataSource.RefreshTopologyAsync()).Primary);

        var options = Options<EfShop>(dataSource, m => m.EnableRetryOnFailure(2, TimeSpan.FromMilliseconds(10), [1213, 4242])).Options;
        await using var db = new EfShop(options);
        var strategy = Assert.IsType<ReplicaRoutingRetryingExecutionStrategy>(db.Database.CreateExecutionStrategy());
        Assert.Equal(2, strategy.MaxRetryCount);
        Assert.Equal(TimeSpan.FromMilliseconds(10), strategy.MaxRetryDelay);
        Assert.Equal([1213, 4242], strategy.AdditionalErrorNumbers);

        db.Customers.Add(new EfCustomer { Name = NewName() });
        var failure = await Assert.ThrowsAsync<RetryLimitExceededException>(() => db.SaveChangesAsync());
        Assert.IsType<PrimaryUnavailableException>(failure.InnerException is DbUpdateException wrapped ? wrapped.InnerException : failure.InnerException);   // MariaDB: wrapped

        // Without EnableRetryOnFailure the strategy stays Pomelo's default: nothing is retried behind the application's back.
        await using var plain = Shop(dataSource);
        Assert.False(plain.Database.CreateExecutionStrategy().RetriesOnFailure);
    }

    /// <summary>
    /// A worker's unit of work (a message handler, a job) outside ASP.NET: without a session, two contexts of one DI scope
    /// do not see each other's writes under lag; inside <c>RunInSessionAsync</c> they do, and the token it returns (a message
    /// header, a queue row) makes the next unit of work, in another scope, see them too.
    /// </summary>
    [Fact]
    public async Task A_worker_unit_of_work_in_RunInSessionAsync_sees_its_writes_across_contexts_and_hands_the_token_on()
    {
        var dataSource = await DataSourceAsync();
        await using var services = new ServiceCollection()
            .AddSingleton(dataSource)
            .AddDbContext<EfShop>((sp, o) => o.UseMySql(ReplicaRoutingServerVersion.AutoDetect(dataSource)).UseReplicaRouting(sp))
            .BuildServiceProvider();
        var scopes = services.GetRequiredService<IServiceScopeFactory>();

        await using (await _replicas.PauseApplyAsync())
        {
            // What the issue saw (no session, each context read for itself) is fixed by the sessionless default (issue 14).
            var unsessioned = NewName();
            await using (var scope = scopes.CreateAsyncScope())
            {
                var writer = scope.ServiceProvider.GetRequiredService<EfShop>();
                writer.Customers.Add(new EfCustomer { Name = unsessioned });
                await writer.SaveChangesAsync();
                Assert.Equal(1, await OtherContext(scope).Customers.CountAsync(c => c.Name == unsessioned));
            }

            var name = NewName();
            var token = await dataSource.RunInSessionAsync(null, async session =>
            {
                await using var scope = scopes.CreateAsyncScope();
                var writer = scope.ServiceProvider.GetRequiredService<EfShop>();
                writer.Customers.Add(new EfCustomer { Name = name });
                await writer.SaveChangesAsync();
                var reader = OtherContext(scope);
                Assert.Equal(1, await reader.Customers.CountAsync(c => c.Name == name));
                Assert.Contains(Decision(reader).Reason, s_causal);
            });
            Assert.NotNull(token);
            Assert.Null(RoutingSession.Current);   // the session did not leak to the caller

            // The next unit of work (another scope, as a job picking up the message) restores the token.
            var handedOn = await dataSource.RunInSessionAsync(token, async session =>
            {
                await using var scope = scopes.CreateAsyncScope();
                Assert.Equal(1, await scope.ServiceProvider.GetRequiredService<EfShop>().Customers.CountAsync(c => c.Name == name));
            });
            Assert.NotNull(handedOn);   // the restored position travels on although this unit of work wrote nothing
        }
    }

    /// <summary>
    /// A session begun in an async helper is not current in the caller (AsyncLocal does not flow back): the library logs it
    /// when the caller uses it, and binding it to the context explicitly makes its reads see its writes.
    /// </summary>
    [Fact]
    public async Task A_session_begun_in_an_async_helper_is_logged_and_works_once_bound_to_the_context()
    {
        await EnsureSchemaAsync();
        var log = new RecordingLoggerFactory();
        var dataSource = topology.CreateDataSource(
            o =>
            {
                o.Consistency = ReadConsistency.ReadYourWrites;
                o.CausalReadTimeout = TimeSpan.FromMilliseconds(300);
            },
            PomeloOptions,
            build: b => b.UseLoggerFactory(log));
        _dataSources.Add(dataSource);

        await using (await _replicas.PauseApplyAsync())
        {
            // The trap: the caller's contexts run without the session, so the token says nothing was written.
            using (var lost = await BeginInHelperAsync(dataSource))
            {
                Assert.Null(RoutingSession.Current);
                await using var db = Shop(dataSource);
                db.Customers.Add(new EfCustomer { Name = NewName() });
                await db.SaveChangesAsync();
                Assert.Null(lost.Token);
            }

            Assert.Contains(log.Entries, e => e is { EventId: EventIds.SessionNotCurrent, Level: LogLevel.Warning });

            // Bound explicitly, the session is the contexts' whatever flow they run in.
            var name = NewName();
            using var session = await BeginInHelperAsync(dataSource);
            await using (var writer = Shop(dataSource))
            {
                writer.Database.UseRoutingSession(session);
                writer.Customers.Add(new EfCustomer { Name = name });
                await writer.SaveChangesAsync();
            }

            await using var reader = Shop(dataSource);
            reader.Database.UseRoutingSession(session);
            Assert.Equal(1, await reader.Customers.CountAsync(c => c.Name == name));
            Assert.Contains(Decision(reader).Reason, s_causal);
            Assert.NotNull(session.Token);
        }

        static async Task<RoutingSession> BeginInHelperAsync(ReplicaRoutingDataSource dataSource)
        {
            await Task.Yield();
            return dataSource.BeginSession((string?)null);
        }
    }

    private static EfShop OtherContext(IServiceScope scope) =>
        new(scope.ServiceProvider.GetRequiredService<DbContextOptions<EfShop>>());

    private static string NewName() => Guid.NewGuid().ToString("N");

    private string NewDatabaseName() => $"rr_test_ef_{topology.Flavor}_{Guid.NewGuid().ToString("N")[..8]}";

    private static EfShop Shop(ReplicaRoutingDataSource dataSource) => new(Options<EfShop>(dataSource).Options);

    private static EfNotes Notes(ReplicaRoutingDataSource dataSource) =>
        new(Options<EfNotes>(dataSource).ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning)).Options);

    private static DbContextOptionsBuilder<T> Options<T>(ReplicaRoutingDataSource dataSource, Action<MySqlDbContextOptionsBuilder>? mySql = null)
        where T : DbContext =>
        new DbContextOptionsBuilder<T>().UseMySql(ReplicaRoutingServerVersion.AutoDetect(dataSource), mySql).UseReplicaRouting(dataSource);

    private async Task<ReplicaRoutingDataSource> DataSourceAsync(string? database = null, Action<ReplicaRoutingOptions>? configure = null)
    {
        await EnsureSchemaAsync();
        var dataSource = topology.CreateDataSource(
            o =>
            {
                o.Consistency = ReadConsistency.ReadYourWrites;
                o.CausalReadTimeout = TimeSpan.FromMilliseconds(300);
                configure?.Invoke(o);
            },
            extraConnectionOptions: database is null ? PomeloOptions : $"{PomeloOptions};Database={database}");
        _dataSources.Add(dataSource);
        return dataSource;
    }

    private Task EnsureSchemaAsync() => s_schema.GetOrAdd(topology.Flavor, _ => CreateSchemaAsync());

    private async Task CreateSchemaAsync()
    {
        await using (var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint))
        {
            await admin.ChangeDatabaseAsync(topology.Config.Database);
            await admin.ExecuteAsync(EfShop.CreateTablesSql);
        }

        await topology.WaitForReplicasAsync();
    }

    private async Task DropDatabaseAsync(string database)
    {
        await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
        await admin.ExecuteAsync($"DROP DATABASE IF EXISTS `{database}`");
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbEfCoreRoutingTests(MariaDbTopology topology) : EfCoreRoutingTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlEfCoreRoutingTests(MySqlTopology topology) : EfCoreRoutingTests(topology);
