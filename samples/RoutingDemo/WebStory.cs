using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using MySqlConnector;
using ReplicaRouting;
using ReplicaRouting.ConsistencyChecker;
using ReplicaRouting.Samples.Shop;

/// <summary>
/// Part 3 of the demo: the lost-order story through the sample shop, over HTTP. The shop runs twice in this process on
/// real Kestrel (service A, the shop; service B, the partner A calls with the token propagated), and simulated users,
/// each a browser-like <see cref="HttpClient"/> with its own cookie jar, place an order, follow the redirect to its page,
/// and then ask A whether the partner sees the order.
/// </summary>
internal static class WebStory
{
    /// <summary>The web modes: <c>web-</c> + the ADO.NET story's modes (<see cref="OrderStory.Modes"/>), configured the same way.</summary>
    public static IReadOnlyList<string> Modes { get; } = OrderStory.Modes.Select(mode => "web-" + mode).ToArray();

    public static async Task<IEnumerable<string>> RunAsync(
        TopologyConfig topology, DirectoryInfo keyRing, int iterations, int users, TimeSpan stopped, TimeSpan running, CancellationToken cancellationToken)
    {
        var injector = new LagInjector(topology.Flavor, topology.ReplicaEndpoints.Select(topology.AdminConnectionString));

        Console.WriteLine();
        Console.WriteLine($"== {topology.Flavor}: {iterations} orders per mode, {users} users (browsers), shop and partner on Kestrel");
        Console.WriteLine($"{"mode",-32} {"pairs",6} {"stale",6} {"replica share",13} {"read p50 ms",11} {"read p99 ms",11} {"run s",6} {"stops",6}  reads by routing reason");
        Console.WriteLine(new string('-', 142));

        var results = new List<(string Mode, WebStoryResult Result)>();
        var schemaReady = false;
        foreach (var mode in Modes)
        {
            await using var partner = await WebShop.StartAsync(topology, mode, keyRing, partnerUrl: null, extraSettings: null, cancellationToken);
            await using var shop = await WebShop.StartAsync(topology, mode, keyRing, partner.BaseAddress, extraSettings: null, cancellationToken);
            if (!schemaReady)
            {
                await ShopApp.EnsureSchemaAsync(shop.Services);
                await WaitForTableOnReplicasAsync(topology, cancellationToken);
                schemaReady = true;
            }

            // One order before the clock starts, without lag: JIT, EF's model and query compilation, connection pools.
            await RunUsersAsync(shop.BaseAddress, iterations: 1, users: 1, cancellationToken);

            var (result, report) = await Lagged.RunAsync(
                injector, stopped, running, token => RunUsersAsync(shop.BaseAddress, iterations, users, token), cancellationToken);
            results.Add((mode, result));

            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{mode,-32} {result.Pages.Pairs,6} {result.Pages.Stale,6} {result.Pages.ReplicaShare,13:F2} {result.Pages.ReadP50Milliseconds,11:F2} {result.Pages.ReadP99Milliseconds,11:F2} " +
                $"{result.Elapsed.TotalSeconds,6:F1} {report.Stops,6}  {OrderStoryResult.Describe(result.Pages.Reasons)}"));
            if (result.Pages.Stale > 0)
                Console.WriteLine($"{"",32}   stale pages by routing reason: {OrderStoryResult.Describe(result.Pages.StaleReasons)}");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{mode + "-partner",-32} {result.Partner.Pairs,6} {result.Partner.Stale,6} {result.Partner.ReplicaShare,13:F2} {result.Partner.ReadP50Milliseconds,11:F2} {result.Partner.ReadP99Milliseconds,11:F2} " +
                $"{"",6} {"",6}  {OrderStoryResult.Describe(result.Partner.Reasons)}"));
            if (result.Partner.Stale > 0)
                Console.WriteLine($"{"",32}   partner misses by routing reason: {OrderStoryResult.Describe(result.Partner.StaleReasons)}");
        }

        Console.WriteLine(Verdict(results));
        return results.SelectMany(r => new[]
        {
            r.Result.Pages.ToResultLine(topology.Flavor, r.Mode),
            r.Result.Partner.ToResultLine(topology.Flavor, r.Mode + "-partner"),
        });
    }

    /// <summary>
    /// <paramref name="users"/> browsers share <paramref name="iterations"/> orders. Each order: POST /orders (302), the GET of
    /// the redirect's target, timed (404 = stale), and GET /orders/{id}/partner (A asks B, propagating the token). The first
    /// error ends the run for every user and is thrown: a run that did not happen is not a result.
    /// </summary>
    private static async Task<WebStoryResult> RunUsersAsync(Uri shop, int iterations, int users, CancellationToken cancellationToken)
    {
        var pages = new WebRead[iterations];
        var partnerReads = new WebRead[iterations];
        var tokens = 0;
        var next = -1;
        var started = Stopwatch.GetTimestamp();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        async Task UserAsync(int user)
        {
            using var browser = new Browser(shop);
            try
            {
                int n;
                while ((n = Interlocked.Increment(ref next)) < iterations)
                {
                    var item = $"web order {n} by user {user}";
                    var (id, orderPage, hadToken) = await browser.PlaceOrderAsync($"user {user}", item, stop.Token);
                    if (hadToken)
                        Interlocked.Increment(ref tokens);
                    pages[n] = await browser.ReadOrderPageAsync(orderPage, id, item, stop.Token);
                    partnerReads[n] = await browser.AskPartnerAsync(id, stop.Token);
                }
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                await stop.CancelAsync();   // one failure ends the run for every user
                throw;
            }
        }

        var running = Enumerable.Range(0, Math.Min(users, iterations)).Select(user => Task.Run(() => UserAsync(user), CancellationToken.None)).ToArray();
        try
        {
            await Task.WhenAll(running);
        }
        catch (Exception)
        {
            // Report the error that ended the run, not the cancellations it caused.
            var errors = running.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).ToArray();
            var first = errors.FirstOrDefault(e => e is not OperationCanceledException) ?? errors.FirstOrDefault();
            if (first is not null)
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(first);
            throw;   // cancelled by the caller
        }

        return new WebStoryResult(WebReads.Of(pages), WebReads.Of(partnerReads), tokens, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The shop's table reaches the replicas by replication: wait (bounded) until they have it, before any lag.</summary>
    internal static async Task WaitForTableOnReplicasAsync(TopologyConfig topology, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + (10 * Stopwatch.Frequency);
        foreach (var replica in topology.ReplicaEndpoints)
        {
            await using var connection = new MySqlConnection(topology.ConnectionString(replica));
            await connection.OpenAsync(cancellationToken);
            await using var command = new MySqlCommand(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = 'shop_orders'", connection);
            while (Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken), CultureInfo.InvariantCulture) == 0)
            {
                if (Stopwatch.GetTimestamp() > deadline)
                    throw new TimeoutException($"Replica {replica} still has no shop_orders table 10 s after it was created; check its replication status.");
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    private static string Verdict(List<(string Mode, WebStoryResult Result)> results)
    {
        var byMode = results.ToDictionary(r => r.Mode, r => r.Result);
        var eventual = byMode["web-eventual"];
        var sticky = byMode["web-primary-after-write"];
        var gtid = byMode["web-wait-for-gtid"];
        var lines = new List<string>
        {
            eventual.Pages.Stale > 0
                ? $"-> web-eventual: {eventual.Pages.Stale} of {eventual.Pages.Pairs} order pages said \"No such order\" right after the redirect; the partner missed {eventual.Partner.Stale}."
                : $"-> web-eventual: no stale page this time (unexpected under injected lag); the partner missed {eventual.Partner.Stale}.",
            sticky.Pages.Stale + sticky.Partner.Stale + gtid.Pages.Stale + gtid.Partner.Stale == 0
                ? "-> read-your-writes over HTTP: no stale page and no partner miss in either mode (cookie to the shop, propagated header to the partner)."
                : $"-> read-your-writes over HTTP: UNEXPECTED stale reads (primary-after-write {sticky.Pages.Stale} pages / {sticky.Partner.Stale} partner, " +
                  $"wait-for-gtid {gtid.Pages.Stale} pages / {gtid.Partner.Stale} partner).",
            string.Create(CultureInfo.InvariantCulture,
                $"-> replicas served {gtid.Pages.ReplicaShare:P0} of the order pages ({gtid.Partner.ReplicaShare:P0} of the partner's reads) with wait-for-gtid, " +
                $"{sticky.Pages.ReplicaShare:P0} ({sticky.Partner.ReplicaShare:P0}) with primary-after-write."),
            $"-> the token came back with {sticky.Tokens} of {sticky.Pages.Pairs} order placements with primary-after-write, {gtid.Tokens} of {gtid.Pages.Pairs} with wait-for-gtid " +
            $"({eventual.Tokens} with eventual, which has no token).",
        };
        return string.Join(Environment.NewLine, lines);
    }
}

/// <summary>One web mode's outcome: the order pages, the partner's answers, how many placements returned a token.</summary>
internal sealed record WebStoryResult(WebReads Pages, WebReads Partner, int Tokens, TimeSpan Elapsed);

/// <summary>One timed read over HTTP: whether it found the order, and which node answered it and why (from the route header).</summary>
internal readonly record struct WebRead(bool Found, TimeSpan Elapsed, RouteTarget Target, RoutingReason Reason);

/// <summary>Reads counted the way <see cref="OrderStoryResult"/> counts them, printed with the same <see cref="ResultLine"/>.</summary>
internal sealed record WebReads(
    int Pairs, int Stale, int ReplicaReads, double ReadP50Milliseconds, double ReadP99Milliseconds,
    IReadOnlyDictionary<RoutingReason, int> Reasons, IReadOnlyDictionary<RoutingReason, int> StaleReasons)
{
    public double ReplicaShare => Pairs == 0 ? 0 : (double)ReplicaReads / Pairs;

    public static WebReads Of(IReadOnlyList<WebRead> reads)
    {
        var times = reads.Select(r => r.Elapsed.TotalMilliseconds).Order().ToArray();
        return new WebReads(
            reads.Count,
            reads.Count(r => !r.Found),
            reads.Count(r => r.Target == RouteTarget.Replica),
            ResultLine.Percentile(times, 0.50),
            ResultLine.Percentile(times, 0.99),
            Histogram(reads),
            Histogram(reads.Where(r => !r.Found)));
    }

    public string ToResultLine(string flavor, string mode) =>
        ResultLine.Format(flavor, mode, Pairs, Stale, ReplicaShare, ReadP50Milliseconds, ReadP99Milliseconds);

    private static Dictionary<RoutingReason, int> Histogram(IEnumerable<WebRead> reads) =>
        reads.GroupBy(r => r.Reason).ToDictionary(g => g.Key, g => g.Count());
}

/// <summary>
/// A simulated browser: its own connection pool and cookie jar (so its own consistency cookie), nothing shared with the
/// other users. Redirects are followed explicitly, as a browser would, so that the order page's GET is timed on its own.
/// </summary>
internal sealed class Browser : IDisposable
{
    private const string TokenHeader = "X-Consistency-Token";

    private readonly HttpClient _client;

    public Browser(Uri shop)
    {
        _client = new HttpClient(new SocketsHttpHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = false })
        {
            BaseAddress = shop,
            Timeout = TimeSpan.FromSeconds(30),
        };
    }

    /// <summary>POST /orders: expects the redirect to the new order's page; returns its id and address, and whether a token came back.</summary>
    public async Task<(long Id, Uri OrderPage, bool HadToken)> PlaceOrderAsync(string customer, string item, CancellationToken cancellationToken)
    {
        using var form = new FormUrlEncodedContent([new("customer", customer), new("item", item)]);
        using var response = await _client.PostAsync(new Uri("/orders", UriKind.Relative), form, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Redirect || response.Headers.Location is not { } location)
            throw await UnexpectedAsync("POST /orders", response, cancellationToken);

        var orderPage = new Uri(_client.BaseAddress!, location);
        var last = orderPage.Segments[^1];
        if (!long.TryParse(last, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id <= 0)
            throw new InvalidOperationException($"POST /orders redirected to '{location}', not to an order page.");
        return (id, orderPage, response.Headers.Contains(TokenHeader));
    }

    /// <summary>The GET after the redirect, timed until its whole body is read. A 404 "No such order" page is stale.</summary>
    public async Task<WebRead> ReadOrderPageAsync(Uri orderPage, long id, string item, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await _client.GetAsync(orderPage, cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);

        bool found;
        if (response.StatusCode == HttpStatusCode.OK && body.Contains("id=\"status\" class=\"found\"", StringComparison.Ordinal))
        {
            if (!body.Contains($"<dd id=\"order-id\">{id}</dd>", StringComparison.Ordinal) || !body.Contains($"<dd id=\"order-item\">{WebUtility.HtmlEncode(item)}</dd>", StringComparison.Ordinal))
                throw new InvalidOperationException($"The page of order {id} does not show order {id} with item '{item}'.");
            found = true;
        }
        else if (response.StatusCode == HttpStatusCode.NotFound && body.Contains("class=\"missing\"", StringComparison.Ordinal))
        {
            found = false;
        }
        else
        {
            throw Unexpected($"GET {orderPage.AbsolutePath}", response, body);
        }

        var (target, reason) = ParseRoute(response.Headers.TryGetValues(ShopApp.RouteHeader, out var route) ? route.FirstOrDefault() : null, orderPage.AbsolutePath);
        return new WebRead(found, elapsed, target, reason);
    }

    /// <summary>GET /orders/{id}/partner: the shop asks the partner service for the order (token propagated), timed end to end.</summary>
    public async Task<WebRead> AskPartnerAsync(long id, CancellationToken cancellationToken)
    {
        var path = $"/orders/{id}/partner";
        var started = Stopwatch.GetTimestamp();
        using var response = await _client.GetAsync(new Uri(path, UriKind.Relative), cancellationToken);
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var elapsed = Stopwatch.GetElapsedTime(started);
        if (response.StatusCode != HttpStatusCode.OK)
            throw Unexpected($"GET {path}", response, body);

        using var json = JsonDocument.Parse(body);
        var sees = json.RootElement.GetProperty("partnerSeesOrder").GetBoolean();
        var route = json.RootElement.TryGetProperty("partnerRoute", out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
        var (target, reason) = ParseRoute(route, path + " (partnerRoute)");
        return new WebRead(sees, elapsed, target, reason);
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The shop's route header: <c>Target; Reason; node</c>.</summary>
    private static (RouteTarget Target, RoutingReason Reason) ParseRoute(string? route, string where)
    {
        var parts = route?.Split(';', StringSplitOptions.TrimEntries);
        if (parts is not { Length: 3 }
            || !Enum.TryParse<RouteTarget>(parts[0], out var target)
            || !Enum.TryParse<RoutingReason>(parts[1], out var reason))
        {
            throw new InvalidOperationException($"{where} answered without a readable {ShopApp.RouteHeader} ('{route ?? "none"}').");
        }

        return (target, reason);
    }

    private static async Task<InvalidOperationException> UnexpectedAsync(string request, HttpResponseMessage response, CancellationToken cancellationToken) =>
        Unexpected(request, response, await response.Content.ReadAsStringAsync(cancellationToken));

    private static InvalidOperationException Unexpected(string request, HttpResponseMessage response, string body) =>
        new($"{request} answered {(int)response.StatusCode} {response.ReasonPhrase}: {(body.Length > 300 ? body[..300] + "…" : body)}");
}

/// <summary>Starts one instance of the sample shop configured for one web mode.</summary>
internal static class WebShop
{
    /// <param name="topology">The topology both services use.</param>
    /// <param name="mode">One of <see cref="WebStory.Modes"/>.</param>
    /// <param name="keyRing">The Data Protection key ring every instance shares, so each accepts the others' tokens.</param>
    /// <param name="partnerUrl">Service B's address (for service A), or null (for service B).</param>
    /// <param name="extraSettings">More configuration keys (e.g. <c>Shop:Confirmations:…</c>), or null.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<ShopHost> StartAsync(
        TopologyConfig topology, string mode, DirectoryInfo keyRing, Uri? partnerUrl, IReadOnlyDictionary<string, string?>? extraSettings, CancellationToken cancellationToken)
    {
        // The web modes are the ADO.NET story's modes: let the checker say what each one sets, and write that as configuration.
        var routing = new ReplicaRoutingOptions();
        OrderStory.ConfigureMode(routing, mode["web-".Length..]);
        var settings = new Dictionary<string, string?>
        {
            ["ReplicaRouting:Primary"] = topology.ConnectionString(topology.PrimaryEndpoint, TopologyConfig.EfCoreOptions),
            ["ReplicaRouting:Routing:Consistency"] = routing.Consistency.ToString(),
            ["ReplicaRouting:Routing:ReadYourWrites"] = routing.ReadYourWrites.ToString(),
            ["Shop:KeysDirectory"] = keyRing.FullName,
            ["Shop:PartnerUrl"] = partnerUrl?.ToString() ?? "",
        };
        for (var i = 0; i < topology.ReplicaEndpoints.Count; i++)
            settings[$"ReplicaRouting:Replicas:{i}"] = topology.ConnectionString(topology.ReplicaEndpoints[i], TopologyConfig.EfCoreOptions);
        foreach (var (key, value) in extraSettings ?? new Dictionary<string, string?>())
            settings[key] = value;

        var host = await ShopHost.StartAsync(settings, builder =>
        {
            // Warnings and errors only, whatever the environment says.
            builder.Logging.ClearProviders();
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Logging.AddFilter<ConsoleLoggerProvider>(null, LogLevel.Warning);
            // Expected here: the demo's key ring is a temporary directory, deleted at the end, with no key encryption at rest.
            builder.Logging.AddFilter<ConsoleLoggerProvider>("Microsoft.AspNetCore.DataProtection.KeyManagement.XmlKeyManager", LogLevel.Error);
        }, cancellationToken);

        // Make sure the shared key ring has a key before any instance issues a token (instances never race to create one).
        host.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("RoutingDemo.warm-up").Protect("x"u8.ToArray());
        return host;
    }
}
