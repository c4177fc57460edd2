using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;
using ReplicaRouting.Samples.Shop;
using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// The sample shop end to end in a real headless browser (Debian's chromium driven by Playwright): place an order while
/// both replicas really lag 2 s behind (delayed replication), follow the redirect, and see the order on its page and in
/// the recent orders. The order page must be served while no replica has the order yet, so a page that shows it proves
/// read-your-writes across the redirect. Screenshots go to artifacts/screenshots/. Runs once per flavor.
/// </summary>
public abstract partial class ShopBrowserTests(TopologyFixture topology, ITestOutputHelper output) : IDisposable
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private const int LagSeconds = 2;
    private const string PomeloOptions = TopologyConfig.EfCoreOptions;

    // Shorter than the lag, so the order page is rendered (from the primary after a bounded replica wait, or from a
    // replica that caught up) well before delayed replication applies the order: the page cannot be right by luck.
    private static readonly TimeSpan CausalReadTimeout = TimeSpan.FromMilliseconds(250);

    private const float StepTimeoutMs = 15_000;
    private static readonly TimeSpan WatchLimit = TimeSpan.FromSeconds(20);

    private static readonly string[] ChromiumArgs =
    [
        "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    private readonly DirectoryInfo _keyRing = TestWebApp.CreateKeyRing();

    public void Dispose()
    {
        _keyRing.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task An_order_placed_in_the_browser_under_2s_replica_lag_shows_on_its_order_page_and_in_recent_orders()
    {
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: install Debian's chromium package (./build.sh does).");
        var total = Stopwatch.StartNew();
        var flavor = topology.Flavor;
        var item = $"browser-{flavor}-{Guid.NewGuid():N}"[..32];
        var screenshots = Path.Combine(RepositoryRoot(), "artifacts", "screenshots");
        Directory.CreateDirectory(screenshots);
        var orderShot = Path.Combine(screenshots, $"{flavor}-order-page.png");
        var listShot = Path.Combine(screenshots, $"{flavor}-recent-orders.png");
        File.Delete(orderShot);
        File.Delete(listShot);

        var log = new RecordingLoggerFactory();
        await using var shop = await StartShopAsync(topology, _keyRing, log);
        await WarmUpAsync(shop.BaseAddress);
        await topology.WaitForReplicasAsync();
        output.WriteLine($"[{total.Elapsed.TotalSeconds:F1}s] shop on {shop.BaseAddress}, schema ready, replicas caught up");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ChromiumArgs,
            Timeout = 60_000,
        });
        await using var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            BaseURL = shop.BaseAddress.ToString(),
            ViewportSize = new ViewportSize { Width = 1000, Height = 700 },
        });
        context.SetDefaultTimeout(StepTimeoutMs);
        context.SetDefaultNavigationTimeout(StepTimeoutMs);
        var page = await context.NewPageAsync();
        output.WriteLine($"[{total.Elapsed.TotalSeconds:F1}s] chromium {browser.Version} launched headless");

        Exception? failure = null;
        try
        {
            await SetReplicaDelayAsync(LagSeconds);
            output.WriteLine($"[{total.Elapsed.TotalSeconds:F1}s] replicas delayed by {LagSeconds} s");

            var home = await page.GotoAsync("/");
            Assert.True(home is { Ok: true }, $"GET / answered {home?.Status}");
            await page.Locator("#customer").FillAsync("Ada Lovelace");
            await page.Locator("#item").FillAsync(item);

            // Watch the order appear on each node (plain connections, no routing) from the moment it is placed.
            await using var watch = await OrderWatch.OpenAsync(topology);
            var clock = Stopwatch.StartNew();
            var watching = watch.RunAsync(item, clock, WatchLimit);

            var orderResponse = await page.RunAndWaitForResponseAsync(
                () => page.Locator("#place").ClickAsync(),
                response => response.Request.Method == "GET" && OrderPage().IsMatch(new Uri(response.Url).AbsolutePath));
            var pageServedAt = clock.Elapsed;
            // Wait for the order page's content, not for the navigation: WaitForURL can miss a load that already finished.
            var status = page.Locator("#status");
            await status.WaitForAsync();
            Assert.Matches(OrderPage(), new Uri(page.Url).AbsolutePath);
            var statusText = await status.InnerTextAsync();
            Assert.Equal("found", await status.GetAttributeAsync("class"));
            Assert.DoesNotContain("No such order", statusText, StringComparison.Ordinal);
            Assert.Equal(item, await page.Locator("#order-item").InnerTextAsync());
            var orderId = long.Parse(await page.Locator("#order-id").InnerTextAsync(), CultureInfo.InvariantCulture);
            Assert.EndsWith($"/orders/{orderId}", new Uri(orderResponse.Url).AbsolutePath, StringComparison.Ordinal);
            Assert.Equal(200, orderResponse.Status);
            Assert.Equal("POST", orderResponse.Request.RedirectedFrom?.Method);

            var route = await orderResponse.HeaderValueAsync(ShopApp.RouteHeader);
            output.WriteLine($"[{total.Elapsed.TotalSeconds:F1}s] order #{orderId} page served {pageServedAt.TotalMilliseconds:F0} ms after the click; {ShopApp.RouteHeader}: {route}");
            AssertRoute(route);

            await page.ScreenshotAsync(new PageScreenshotOptions { Path = orderShot, FullPage = true });
            AssertPng(orderShot);
            output.WriteLine($"screenshot: {orderShot}");

            // The lag was real: each replica got the order well after the primary had it.
            var seen = await watching;
            output.WriteLine($"order visible on {string.Join(", ", seen.Select(s => $"{s.Key} at {(s.Value is { } at ? Ms(at) : "never")}"))} after the click");
            var primaryAt = seen[topology.Config.PrimaryEndpoint]
                ?? throw new Xunit.Sdk.XunitException($"the primary never showed the order within {WatchLimit.TotalSeconds} s");
            foreach (var replica in topology.Config.ReplicaEndpoints)
            {
                var replicaAt = seen[replica];
                Assert.True(replicaAt is not null, $"replica {replica} never applied the order within {WatchLimit.TotalSeconds} s");
                // MariaDB delays by whole-second event timestamps: the effective delay is between 1 and 2 s.
                Assert.True(replicaAt.Value - primaryAt >= TimeSpan.FromMilliseconds(800),
                    $"replica {replica} had the order {Ms(replicaAt.Value - primaryAt)} after the primary: no real lag");
                // Logged, not asserted: a loaded machine may serve the page late, and a timing must never fail a test.
                // The route header (asserted above) already says whether a wait timed out or a caught-up replica answered.
                output.WriteLine($"replica {replica}: order page served {(pageServedAt < replicaAt.Value ? "before" : "AFTER")} it had the order");
            }

            // Second step: the recent orders list shows the new order, linked to its page.
            var list = await page.GotoAsync("/orders");
            Assert.True(list is { Ok: true }, $"GET /orders answered {list?.Status}");
            var row = page.Locator("#orders tr", new PageLocatorOptions { HasText = item });
            Assert.Equal(1, await row.CountAsync());
            Assert.Equal(orderId.ToString(CultureInfo.InvariantCulture), await row.Locator($"a[href='/orders/{orderId}']").InnerTextAsync());
            output.WriteLine($"[{total.Elapsed.TotalSeconds:F1}s] /orders lists #{orderId}; {ShopApp.RouteHeader}: {await list!.HeaderValueAsync(ShopApp.RouteHeader)}");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = listShot, FullPage = true });
            AssertPng(listShot);
            output.WriteLine($"screenshot: {listShot}");
        }
        catch (Exception ex)
        {
            failure = ex;
            await TryScreenshotAsync(page, Path.Combine(screenshots, $"{flavor}-failure.png"));
            throw;
        }
        finally
        {
            await RestoreReplicasAsync(rethrow: failure is null);
            foreach (var (level, eventId, message) in log.Entries.Where(e => e.Level >= LogLevel.Warning).Take(20))
                output.WriteLine($"app log {level} {eventId}: {message}");
            output.WriteLine($"[{total.Elapsed.TotalSeconds:F1}s] lag restored, replicas caught up");
        }
    }

    private static void AssertRoute(string? route)
    {
        Assert.False(string.IsNullOrEmpty(route), $"the order page has no {ShopApp.RouteHeader} header");
        var parts = route.Split("; ");
        Assert.Equal(3, parts.Length);
        Assert.Contains(parts[0], new[] { nameof(RouteTarget.Primary), nameof(RouteTarget.Replica) });
        if (parts[0] == nameof(RouteTarget.Replica))
            Assert.Equal(nameof(RoutingReason.CausalRead), parts[1]);   // a replica may serve it only once it has the order
    }

    private static void AssertPng(string path)
    {
        Assert.True(File.Exists(path), $"no screenshot at {path}");
        var bytes = File.ReadAllBytes(path);
        Assert.True(bytes.Length > 8, $"{path} is empty");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, bytes[..8]);
    }

    private async Task TryScreenshotAsync(IPage page, string path)
    {
        try
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true, Timeout = 5_000 });
            output.WriteLine($"failure screenshot: {path}");
        }
        catch (PlaywrightException ex)
        {
            output.WriteLine($"no failure screenshot: {ex.Message}");
        }
    }

    /// <summary>First requests pay for EF's model and query compilation: pay before the lag, not during the measured flow.</summary>
    private static async Task WarmUpAsync(Uri baseAddress)
    {
        using var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using (var missing = await client.GetAsync(new Uri("/orders/0", UriKind.Relative)))
            Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        using var list = await client.GetAsync(new Uri("/orders", UriKind.Relative));
        list.EnsureSuccessStatusCode();
    }

    private string DelayCommand(int seconds) => topology.Flavor == TopologyConfig.MariaDb
        ? $"STOP SLAVE; CHANGE MASTER TO MASTER_DELAY={seconds}; START SLAVE;"
        : $"STOP REPLICA; CHANGE REPLICATION SOURCE TO SOURCE_DELAY={seconds}; START REPLICA;";

    private async Task SetReplicaDelayAsync(int seconds)
    {
        foreach (var replica in topology.Config.ReplicaEndpoints)
        {
            await using var admin = await topology.OpenAdminAsync(replica);
            await admin.ExecuteAsync(DelayCommand(seconds), commandTimeout: 30);
        }
    }

    /// <summary>Delay 0 on every replica (each tried even if another fails), then a bounded wait for catch-up.</summary>
    private async Task RestoreReplicasAsync(bool rethrow)
    {
        var errors = new List<Exception>();
        foreach (var replica in topology.Config.ReplicaEndpoints)
        {
            try
            {
                await using var admin = await topology.OpenAdminAsync(replica);
                await admin.ExecuteAsync(DelayCommand(0), commandTimeout: 30);
            }
            catch (Exception ex) when (ex is MySqlException or InvalidOperationException)
            {
                errors.Add(new InvalidOperationException($"could not restore replication delay 0 on {replica}: {ex.Message}", ex));
            }
        }

        try
        {
            await topology.WaitForReplicasAsync(timeoutSeconds: 60);
        }
        catch (Exception ex) when (ex is MySqlException or InvalidOperationException)
        {
            errors.Add(ex);
        }

        foreach (var error in errors)
            output.WriteLine($"RESTORE FAILED: {error.Message}");
        if (rethrow && errors.Count > 0)
            throw new AggregateException("restoring the replicas failed", errors);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "ReplicaRouting.sln")))
                return directory.FullName;
        }

        throw new InvalidOperationException($"ReplicaRouting.sln not found above {AppContext.BaseDirectory}");
    }

    private static string Ms(TimeSpan time) => $"{time.TotalMilliseconds:F0} ms";

    [GeneratedRegex(@"^/orders/\d+$")]
    private static partial Regex OrderPage();

    /// <summary>The sample shop on Kestrel at 127.0.0.1 with a dynamic port, configured for this topology only.</summary>
    private static async Task<ShopHost> StartShopAsync(TopologyFixture topology, DirectoryInfo keyRing, RecordingLoggerFactory log)
    {
        var config = topology.Config;
        var settings = new Dictionary<string, string?>
        {
            ["ReplicaRouting:Primary"] = config.ConnectionString(config.PrimaryEndpoint, PomeloOptions),
            ["ReplicaRouting:Routing:Consistency"] = nameof(ReadConsistency.ReadYourWrites),
            ["ReplicaRouting:Routing:CausalReadTimeout"] = CausalReadTimeout.ToString("c", CultureInfo.InvariantCulture),
            ["Shop:KeysDirectory"] = keyRing.FullName,
        };
        for (var i = 0; i < config.ReplicaEndpoints.Count; i++)
            settings[$"ReplicaRouting:Replicas:{i}"] = config.ConnectionString(config.ReplicaEndpoints[i], PomeloOptions);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return await ShopHost.StartAsync(settings, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<ILoggerFactory>(log);
        }, timeout.Token);
    }

    /// <summary>Polls every node with a plain (unrouted) app connection and records when each first shows the order.</summary>
    private sealed class OrderWatch : IAsyncDisposable
    {
        private readonly List<(string Endpoint, MySqlConnection Connection)> _nodes;
        private readonly CancellationTokenSource _stop = new();
        private Task? _running;

        private OrderWatch(List<(string, MySqlConnection)> nodes) => _nodes = nodes;

        public static async Task<OrderWatch> OpenAsync(TopologyFixture topology)
        {
            var nodes = new List<(string, MySqlConnection)>();
            try
            {
                foreach (var endpoint in topology.Config.Nodes)
                {
                    var connection = new MySqlConnection(topology.Config.ConnectionString(endpoint));
                    nodes.Add((endpoint, connection));
                    await connection.OpenAsync();
                }

                return new OrderWatch(nodes);
            }
            catch
            {
                foreach (var (_, connection) in nodes)
                    await connection.DisposeAsync();
                throw;
            }
        }

        /// <summary>Runs until every node has the order or <paramref name="limit"/> passes; null = never seen.</summary>
        public Task<Dictionary<string, TimeSpan?>> RunAsync(string item, Stopwatch clock, TimeSpan limit)
        {
            var task = PollAsync(item, clock, limit, _stop.Token);
            _running = task;
            return task;
        }

        private async Task<Dictionary<string, TimeSpan?>> PollAsync(string item, Stopwatch clock, TimeSpan limit, CancellationToken cancellationToken)
        {
            var seen = _nodes.ToDictionary(n => n.Endpoint, _ => (TimeSpan?)null);
            while (seen.Values.Any(v => v is null) && clock.Elapsed < limit)
            {
                foreach (var (endpoint, connection) in _nodes.Where(n => seen[n.Endpoint] is null))
                {
                    var count = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
                        "SELECT COUNT(*) FROM shop_orders WHERE Item = @item", new { item }, commandTimeout: 10, cancellationToken: cancellationToken));
                    if (count > 0)
                        seen[endpoint] = clock.Elapsed;
                }

                await Task.Delay(20, cancellationToken);
            }

            return seen;
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            if (_running is not null)
            {
                try
                {
                    await _running;
                }
                catch (Exception ex) when (ex is OperationCanceledException or MySqlException)
                {
                    // Stopped early because the test failed: the test's own exception is the one that matters.
                }
            }

            foreach (var (_, connection) in _nodes)
                await connection.DisposeAsync();
            _stop.Dispose();
        }
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbShopBrowserTests(MariaDbTopology topology, ITestOutputHelper output) : ShopBrowserTests(topology, output);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlShopBrowserTests(MySqlTopology topology, ITestOutputHelper output) : ShopBrowserTests(topology, output);
