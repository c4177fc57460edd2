using System.Collections.Concurrent;
using Dapper;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// A small shop on real Kestrel (127.0.0.1, dynamic port) over one flavor's topology: POST /orders places an order and
/// redirects (302) to GET /orders/{id}, which answers 404 when the order is not visible (a stale page).
/// </summary>
public sealed class TestWebApp : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestWebApp(WebApplication app, RecordingLoggerFactory log)
    {
        _app = app;
        Log = log;
    }

    public RecordingLoggerFactory Log { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _app.Services;

    /// <summary>Sessions seen by requests to /session, with the user that made each request.</summary>
    public ConcurrentDictionary<RoutingSession, int> Sessions => Services.GetRequiredService<ConcurrentDictionary<RoutingSession, int>>();

    public sealed record Settings
    {
        public bool UseMiddleware { get; init; } = true;

        public bool UseCookie { get; init; } = true;

        public TimeSpan CausalReadTimeout { get; init; } = TimeSpan.FromSeconds(1);

        public SessionlessReads SessionlessReads { get; init; } = SessionlessReads.DataSource;

        /// <summary>Anything else about how the token travels (cookie name and scope), applied last.</summary>
        public Action<ReplicaRoutingHttpOptions>? Http { get; init; }

        /// <summary><see cref="ReplicaRoutingOptions.MaxConcurrentPrimaryFallbacks"/>, or null for the default.</summary>
        public int? MaxConcurrentPrimaryFallbacks { get; init; }

        /// <summary>A downstream service that GET /a/orders/{id} calls with a propagating client, and /a/orders-plain/{id} without.</summary>
        public Uri? Downstream { get; init; }
    }

    public static async Task<TestWebApp> StartAsync(TopologyFixture topology, DirectoryInfo keyRing, Settings? settings = null)
    {
        settings ??= new Settings();
        var log = new RecordingLoggerFactory();
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<ILoggerFactory>(log);
        builder.Services.AddDataProtection().SetApplicationName("ReplicaRouting.IntegrationTests").PersistKeysToFileSystem(keyRing);
        builder.Services.AddReplicaRouting(o =>
        {
            o.Primary = topology.Config.ConnectionString(topology.Config.PrimaryEndpoint);
            foreach (var replica in topology.Config.ReplicaEndpoints)
                o.Replicas.Add(topology.Config.ConnectionString(replica));
            o.Routing.Consistency = ReadConsistency.ReadYourWrites;
            o.Routing.CausalReadTimeout = settings.CausalReadTimeout;
            o.Routing.MaxConcurrentPrimaryFallbacks = settings.MaxConcurrentPrimaryFallbacks;
            o.Routing.SessionlessReads = settings.SessionlessReads;
            o.Http.UseCookie = settings.UseCookie;
            settings.Http?.Invoke(o.Http);
        });
        builder.Services.AddSingleton(new ConcurrentDictionary<RoutingSession, int>());
        builder.Services.AddSingleton<HeldReads>();
        if (settings.Downstream is { } downstream)
        {
            builder.Services.AddHttpClient("downstream", c => c.BaseAddress = downstream).AddReplicaRoutingPropagation();
            builder.Services.AddHttpClient("downstream-plain", c => c.BaseAddress = downstream);
        }

        var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        if (settings.UseMiddleware)
            app.UseReplicaRouting();
        MapEndpoints(app);

        var web = new TestWebApp(app, log);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        web.BaseAddress = new Uri(address);
        return web;
    }

    /// <summary>A key ring with a key in it, so that apps sharing it never race to create their first key.</summary>
    public static DirectoryInfo CreateKeyRing()
    {
        var directory = Directory.CreateTempSubdirectory("rr-keys-");
        DataProtectionProvider.Create(directory).CreateProtector("warm-up").Protect("x");
        return directory;
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    private static void MapEndpoints(WebApplication app)
    {
        app.MapPost("/orders", async (ReplicaRoutingDataSource dataSource, string item, int user) =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            var id = await connection.ExecuteScalarAsync<long>("INSERT INTO orders (item, user_no) VALUES (@item, @user); SELECT LAST_INSERT_ID()", new { item, user });
            return Results.Redirect($"/orders/{id}");
        });

        app.MapGet("/orders/{id:long}", (ReplicaRoutingDataSource dataSource, long id) => ReadOrderAsync(dataSource, id));
        // Reads the order, then keeps the connection open (and whatever primary fallback it holds) until released.
        app.MapGet("/orders/{id:long}/held", async (ReplicaRoutingDataSource dataSource, HeldReads held, long id) =>
        {
            await using var connection = await dataSource.OpenConnectionAsync();
            var item = await connection.QuerySingleOrDefaultAsync<string>("SELECT item FROM orders WHERE id = @id", new { id });
            held.Reading.TrySetResult(connection.LastRoutingDecision!.Value);
            await held.Release.Task;
            return Results.Text(item ?? "missing");
        });
        app.MapGet("/orders/{id:long}/from-primary", (ReplicaRoutingDataSource dataSource, long id) => ReadOrderAsync(dataSource, id)).ReadFromPrimary();

        // Service A: place an order, then let service B read it back (with and without the propagating client).
        app.MapPost("/a/orders", async (ReplicaRoutingDataSource dataSource, IHttpClientFactory clients, string item, bool propagate) =>
        {
            long id;
            await using (var connection = await dataSource.OpenConnectionAsync())
                id = await connection.ExecuteScalarAsync<long>("INSERT INTO orders (item, user_no) VALUES (@item, 0); SELECT LAST_INSERT_ID()", new { item });
            using var client = clients.CreateClient(propagate ? "downstream" : "downstream-plain");
            using var response = await client.GetAsync(new Uri($"/orders/{id}", UriKind.Relative));
            return Results.Text($"{(int)response.StatusCode}|{await response.Content.ReadAsStringAsync()}");
        });

        // One user's request: the session must be new, its own, and stay the same across awaits.
        app.MapPost("/session", async (ReplicaRoutingDataSource dataSource, ConcurrentDictionary<RoutingSession, int> sessions, int user) =>
        {
            var session = RoutingSession.Current;
            if (session is null || !sessions.TryAdd(session, user))
                return Results.Text("shared", statusCode: 409);
            var restoredPosition = session.Position?.ToString() ?? "";
            await using (var connection = await dataSource.OpenConnectionAsync())
                await connection.ExecuteAsync("INSERT INTO orders (item, user_no) VALUES ('session', @user)", new { user });
            await Task.Delay(Random.Shared.Next(1, 15));
            if (!ReferenceEquals(RoutingSession.Current, session))
                return Results.Text("changed", statusCode: 409);
            return Results.Text(restoredPosition);
        });
    }

    /// <summary>Signals between a test and a request to /orders/{id}/held.</summary>
    public sealed class HeldReads
    {
        /// <summary>Completed with the held read's routing decision once it has run.</summary>
        public TaskCompletionSource<RoutingDecision> Reading { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completed by the test to let the held request finish.</summary>
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    private static async Task<IResult> ReadOrderAsync(ReplicaRoutingDataSource dataSource, long id)
    {
        await using var connection = await dataSource.OpenConnectionAsync();
        var item = await connection.QuerySingleOrDefaultAsync<string>("SELECT item FROM orders WHERE id = @id", new { id });
        var decision = connection.LastRoutingDecision!.Value;
        return item is null
            ? Results.Text($"missing|{decision.Target}|{decision.Reason}", statusCode: 404)
            : Results.Text($"{item}|{decision.Target}|{decision.Reason}");
    }
}
