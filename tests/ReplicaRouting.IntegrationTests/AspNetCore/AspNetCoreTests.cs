using System.Net;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using ReplicaRouting.AspNetCore.Internal;
using ReplicaRouting.IntegrationTests.Infrastructure;
using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// The ASP.NET Core integration on real Kestrel over real replicas with real lag: the lost order after a POST→302→GET,
/// bad tokens, session isolation and service-to-service propagation. Runs once per flavor; counts, never timings, are asserted.
/// </summary>
public abstract class AspNetCoreTests(TopologyFixture topology, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Stopped = TimeSpan.FromMilliseconds(300);
    private static readonly TimeSpan Running = TimeSpan.FromMilliseconds(150);

    // Log events that mean "this token was ignored": the package's (2001–2003) and the core's (1201–1204).
    private static readonly int[] IgnoredTokenEvents = [2001, 2002, 2003, 1201, 1202, 1203, 1204];

    private readonly DirectoryInfo _keyRing = TestWebApp.CreateKeyRing();

    public void Dispose()
    {
        _keyRing.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Post_redirect_get_shows_no_stale_page_in_500_iterations_under_lag()
    {
        await using var app = await StartAsync();
        var (stale, replicaReads, lag) = await RunPostRedirectGetAsync(app, iterations: 500, "web-middleware");
        Assert.Equal(0, stale);
        Assert.True(lag.Stops > 0, "no lag was injected");
        Assert.True(replicaReads > 0, "no page was read from a replica");
    }

    [Fact]
    public async Task Post_redirect_get_without_the_middleware_shows_stale_pages_under_lag()
    {
        // Per-connection sessionless reads (the opt-out): within one process the default would see the writes even without
        // the middleware; across processes it could not.
        await using var app = await StartAsync(new TestWebApp.Settings { UseMiddleware = false, SessionlessReads = SessionlessReads.Connection });
        var (stale, _, lag) = await RunPostRedirectGetAsync(app, iterations: 300, "web-no-middleware");
        Assert.True(stale > 0, "without the middleware a redirect under lag should show stale pages; the test could not fail");
        Assert.True(lag.Stops > 0, "no lag was injected");
    }

    [Fact]
    public async Task A_read_shed_by_the_primary_fallback_cap_answers_503_with_retry_after_and_one_log_line()
    {
        // Cap 1: one request reading the primary for its fresh write holds the only slot; a second one is shed.
        await using var app = await StartAsync(new TestWebApp.Settings { MaxConcurrentPrimaryFallbacks = 1, CausalReadTimeout = TimeSpan.FromMilliseconds(100) });
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };
        var held = app.Services.GetRequiredService<TestWebApp.HeldReads>();
        var control = new ReplicaControl(topology);
        await using (await control.PauseApplyAsync())
        {
            using var post = await client.PostAsync(new Uri("/orders?item=shed&user=7", UriKind.Relative), null);
            var token = post.Headers.GetValues("X-Consistency-Token").Single();
            var id = post.Headers.Location!.OriginalString.Split('/').Last();

            using var holding = new HttpRequestMessage(HttpMethod.Get, $"/orders/{id}/held");
            holding.Headers.Add("X-Consistency-Token", token);
            var first = client.SendAsync(holding);
            var firstRead = await held.Reading.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(RouteTarget.Primary, firstRead.Target);   // no replica has the order: the primary, holding the slot

            using var shed = new HttpRequestMessage(HttpMethod.Get, $"/orders/{id}");
            shed.Headers.Add("X-Consistency-Token", token);
            using var shedResponse = await client.SendAsync(shed);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, shedResponse.StatusCode);
            Assert.Equal(TimeSpan.FromSeconds(1), shedResponse.Headers.RetryAfter?.Delta);

            held.Release.SetResult();
            using var firstResponse = await first;
            Assert.Equal("shed", await firstResponse.Content.ReadAsStringAsync());

            // The slot is free again once the held request's connection closed: the same read succeeds.
            using var again = new HttpRequestMessage(HttpMethod.Get, $"/orders/{id}");
            again.Headers.Add("X-Consistency-Token", token);
            using var againResponse = await client.SendAsync(again);
            Assert.Equal(HttpStatusCode.OK, againResponse.StatusCode);
        }

        Assert.Single(app.Log.Entries, e => e.EventId == 2020);
    }

    [Fact]
    public async Task Bad_tokens_in_cookies_and_headers_give_200_the_right_data_and_one_log_line()
    {
        await using var app = await StartAsync();
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };
        using var post = await client.PostAsync(new Uri("/orders?item=tea&user=1", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Redirect, post.StatusCode);
        var valid = post.Headers.GetValues("X-Consistency-Token").Single();
        Assert.Contains(post.Headers.GetValues("Set-Cookie"), c => c.StartsWith("rr-consistency=" + valid, StringComparison.Ordinal)
            && c.Contains("httponly", StringComparison.OrdinalIgnoreCase) && c.Contains("samesite=lax", StringComparison.OrdinalIgnoreCase) && c.Contains("path=/", StringComparison.Ordinal));
        var location = post.Headers.Location!;
        await topology.WaitForReplicasAsync();

        var dataSource = app.Services.GetRequiredService<ReplicaRoutingDataSource>();
        var provider = app.Services.GetRequiredService<IDataProtectionProvider>();
        var protector = provider.CreateProtector(ConsistencyTokenProtector.Purpose).ToTimeLimitedDataProtector();
        var coreText = protector.Unprotect(valid);
        Assert.True(ConsistencyToken.TryParse(coreText, out var token));
        var foreignRing = Directory.CreateTempSubdirectory("rr-foreign-keys-");
        try
        {
            var foreign = DataProtectionProvider.Create(foreignRing).CreateProtector(ConsistencyTokenProtector.Purpose).ToTimeLimitedDataProtector();
            var stale = new ConsistencyToken(dataSource.ClusterId, token.Position, DateTimeOffset.UtcNow.AddHours(-1));
            var otherCluster = new ConsistencyToken("another-cluster", token.Position, DateTimeOffset.UtcNow);
            var bad = new (string Name, string Value)[]
            {
                ("tampered", valid[..40] + (valid[40] == 'A' ? 'B' : 'A') + valid[41..]),
                ("truncated", valid[..^12]),
                ("expired-protection", protector.Protect(coreText, DateTimeOffset.UtcNow.AddSeconds(-5))),
                ("expired-token", protector.Protect(stale.ToString(), DateTimeOffset.UtcNow.AddMinutes(5))),
                ("foreign-key-ring", foreign.Protect(coreText, DateTimeOffset.UtcNow.AddMinutes(5))),
                ("other-cluster", protector.Protect(otherCluster.ToString(), DateTimeOffset.UtcNow.AddMinutes(5))),
                ("unprotected-core-text", coreText),
                ("oversized", new string('A', 5000)),
                ("garbage", "%%not*a(token)%%"),
            };

            foreach (var (name, value) in bad)
            {
                foreach (var where in new[] { "header", "cookie" })
                {
                    var before = IgnoredCount(app);
                    using var request = new HttpRequestMessage(HttpMethod.Get, location);
                    if (where == "header")
                        request.Headers.TryAddWithoutValidation("X-Consistency-Token", value);
                    else
                        request.Headers.TryAddWithoutValidation("Cookie", "rr-consistency=" + value);
                    using var response = await client.SendAsync(request);
                    var body = await response.Content.ReadAsStringAsync();
                    Assert.True(response.StatusCode == HttpStatusCode.OK, $"{name} in the {where}: {(int)response.StatusCode} {body}");
                    Assert.StartsWith("tea|", body, StringComparison.Ordinal);
                    Assert.False(response.Headers.Contains("Set-Cookie"), $"{name} in the {where}: a read-only request set a cookie");
                    Assert.True(IgnoredCount(app) - before == 1, $"{name} in the {where}: expected one log line, got {IgnoredCount(app) - before}");
                }
            }

            // The same header twice is refused as a whole, also with one line.
            var beforeRepeated = IgnoredCount(app);
            using var repeated = new HttpRequestMessage(HttpMethod.Get, location);
            repeated.Headers.TryAddWithoutValidation("X-Consistency-Token", [valid, valid]);
            using var repeatedResponse = await client.SendAsync(repeated);
            Assert.Equal(HttpStatusCode.OK, repeatedResponse.StatusCode);
            Assert.Equal(1, IgnoredCount(app) - beforeRepeated);

            // And the valid token, in either place, is accepted without a line.
            var beforeValid = IgnoredCount(app);
            foreach (var header in new[] { ("X-Consistency-Token", valid), ("Cookie", "rr-consistency=" + valid) })
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, location);
                request.Headers.TryAddWithoutValidation(header.Item1, header.Item2);
                using var response = await client.SendAsync(request);
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            Assert.Equal(beforeValid, IgnoredCount(app));
        }
        finally
        {
            foreignRing.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Concurrent_requests_of_different_users_never_share_a_session()
    {
        await using var app = await StartAsync();
        const int users = 24, requestsPerUser = 8;
        var results = await Task.WhenAll(Enumerable.Range(1, users).Select(async user =>
        {
            using var client = NewBrowser(app);
            var positions = new List<string>();
            for (var i = 0; i < requestsPerUser; i++)
            {
                using var response = await client.PostAsync(new Uri($"/session?user={user}", UriKind.Relative), null);
                var body = await response.Content.ReadAsStringAsync();
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"user {user}: {(int)response.StatusCode} {body}");
                positions.Add(body);
            }

            return positions;
        }));

        Assert.Equal(users * requestsPerUser, app.Sessions.Count);   // one new session per request
        foreach (var positions in results)
        {
            Assert.Equal("", positions[0]);   // a user's first request starts empty, whatever the others wrote
            Assert.All(positions.Skip(1), p => Assert.NotEqual("", p));   // later ones carry that user's own token
        }
    }

    [Fact]
    public async Task Read_from_primary_endpoint_metadata_routes_reads_to_the_primary()
    {
        await using var app = await StartAsync();
        using var client = NewBrowser(app);
        using var post = await client.PostAsync(new Uri("/orders?item=metadata&user=1", UriKind.Relative), null);
        var id = post.RequestMessage!.RequestUri!.Segments[^1];
        await topology.WaitForReplicasAsync();
        using var anonymous = new HttpClient { BaseAddress = app.BaseAddress };

        Assert.Equal("metadata|Replica|Read", await anonymous.GetStringAsync(new Uri($"/orders/{id}", UriKind.Relative)));
        Assert.Equal("metadata|Primary|ReadFromPrimaryHint", await anonymous.GetStringAsync(new Uri($"/orders/{id}/from-primary", UriKind.Relative)));
    }

    [Fact]
    public async Task Api_only_apps_carry_the_token_in_the_header_without_cookies()
    {
        await using var app = await StartAsync(new TestWebApp.Settings { UseCookie = false });
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };
        await using (await new ReplicaControl(topology).PauseApplyAsync())
        {
            using var post = await client.PostAsync(new Uri("/orders?item=api&user=1", UriKind.Relative), null);
            Assert.False(post.Headers.Contains("Set-Cookie"));
            var token = post.Headers.GetValues("X-Consistency-Token").Single();

            using var request = new HttpRequestMessage(HttpMethod.Get, post.Headers.Location);
            request.Headers.Add("X-Consistency-Token", token);
            using var read = await client.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, read.StatusCode);
            Assert.StartsWith("api|", await read.Content.ReadAsStringAsync(), StringComparison.Ordinal);
            Assert.False(read.Headers.Contains("X-Consistency-Token"));   // nothing new was written: nothing sent back
        }
    }

    [Fact]
    public async Task A_token_cookie_sent_twice_is_refused_like_a_repeated_header_and_logged_once_per_interval()
    {
        await using var app = await StartAsync();
        var (own, ownPosition) = await WriteAsync(app, "rr-consistency", user: 1);
        var (planted, _) = await WriteAsync(app, "rr-consistency", user: 2);   // a valid token too: e.g. set by a sibling subdomain

        // Alone, the user's cookie is restored (and so proves that the probe sees a restored token).
        Assert.Equal(ownPosition, await RestoredPositionAsync(app, $"rr-consistency={own}"));

        string[][] repeated =
        [
            [$"rr-consistency={own}; rr-consistency={planted}"],
            [$"rr-consistency={planted}; rr-consistency={own}"],   // the last one used to win
            [$"rr-consistency={own}", $"rr-consistency={planted}"],   // two Cookie header lines
            [$"rr-consistency={own}; RR-Consistency={planted}"],   // ASP.NET Core compares cookie names ignoring case
            [$"a=1, rr-consistency={planted}; rr-consistency={own}"],   // ',' separates cookies for ASP.NET Core too
            [$"rr-consistency={own}; rr-consistency={own}"],   // twice the same: refused as well, like the header
        ];
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var linesBefore = app.Log.Entries.Count(e => e.EventId == 2003);
        foreach (var cookies in repeated)
            Assert.True(await RestoredPositionAsync(app, cookies) == "", $"a token was applied from: {string.Join(" | ", cookies)}");

        var lines = app.Log.Entries.Count(e => e.EventId == 2003) - linesBefore;
        var intervals = (int)(System.Diagnostics.Stopwatch.GetElapsedTime(started) / ReplicaRoutingMiddleware.RepeatedTokenLogInterval);
        Assert.InRange(lines, 1, 1 + intervals);   // one line, not one per request (another only if a whole interval passed)
        Assert.Contains(app.Log.Entries, e => e.EventId == 2003 && e.Message.Contains("cookie", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_Host_prefixed_cookie_is_written_secure_host_only_at_the_root_and_read_back()
    {
        const string name = "__Host-rr-consistency";
        await using var app = await StartAsync(new TestWebApp.Settings { Http = http => http.CookieName = name });
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };
        using var post = await client.PostAsync(new Uri("/session?user=1", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);

        // What a browser requires of a __Host- cookie, even on this plain-HTTP test server (the browser is the test here).
        var cookie = post.Headers.GetValues("Set-Cookie").Single();
        var attributes = cookie.Split(';', StringSplitOptions.TrimEntries);
        Assert.StartsWith(name + "=", attributes[0], StringComparison.Ordinal);
        Assert.Contains("secure", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("path=/", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.DoesNotContain(attributes, a => a.StartsWith("domain", StringComparison.OrdinalIgnoreCase));
        Assert.Contains("httponly", attributes, StringComparer.OrdinalIgnoreCase);
        var token = attributes[0][(name.Length + 1)..];
        Assert.Equal(post.Headers.GetValues("X-Consistency-Token").Single(), token);

        // Sent back under its name the token is restored; under another name it is not this application's cookie.
        var position = await RestoredPositionAsync(app, $"{name}={token}");
        Assert.NotEqual("", position);
        Assert.Equal("", await RestoredPositionAsync(app, $"rr-consistency={token}"));
        Assert.Equal("", await RestoredPositionAsync(app, $"{name}={token}; {name}={token}"));
    }

    [Fact]
    public async Task Cookie_scope_settings_shape_the_set_cookie_header()
    {
        await using var app = await StartAsync(new TestWebApp.Settings
        {
            Http = http =>
            {
                http.CookiePath = "/session";
                http.CookieDomain = "shop.example";
                http.CookieSameSite = CookieSameSite.None;
            },
        });
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };
        using var post = await client.PostAsync(new Uri("/session?user=1", UriKind.Relative), null);
        var attributes = post.Headers.GetValues("Set-Cookie").Single().Split(';', StringSplitOptions.TrimEntries);
        Assert.StartsWith("rr-consistency=", attributes[0], StringComparison.Ordinal);
        Assert.Contains("path=/session", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("domain=shop.example", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("samesite=none", attributes, StringComparer.OrdinalIgnoreCase);
        Assert.Contains("secure", attributes, StringComparer.OrdinalIgnoreCase);   // browsers drop SameSite=None without it
    }

    [Fact]
    public async Task Http_client_propagation_lets_service_b_see_service_a_write_under_lag()
    {
        await using var serviceB = await StartAsync();
        await using var serviceA = await StartAsync(new TestWebApp.Settings { Downstream = serviceB.BaseAddress });
        using var client = new HttpClient { BaseAddress = serviceA.BaseAddress };
        await OrderStory.CreateOrdersTableAsync(topology.Config.AdminConnectionString(topology.Config.PrimaryEndpoint));
        await topology.WaitForReplicasAsync();

        var injector = new LagInjector(topology.Flavor, topology.Config.ReplicaEndpoints.Select(topology.Config.AdminConnectionString));
        using var stopLag = new CancellationTokenSource();
        var lag = injector.RunAsync(Stopped, Running, stopLag.Token);
        int propagatedStale = 0, propagatedReplicaReads = 0, plainStale = 0;
        const int calls = 100;
        try
        {
            await Parallel.ForAsync(0, calls, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
            {
                foreach (var propagate in new[] { true, false })
                {
                    var item = $"b-{i}-{propagate}";
                    using var response = await client.PostAsync(new Uri($"/a/orders?item={item}&propagate={propagate}", UriKind.Relative), null);
                    var body = await response.Content.ReadAsStringAsync();
                    Assert.True(response.StatusCode == HttpStatusCode.OK, body);
                    var fields = body.Split('|');
                    var found = fields[0] == "200";
                    if (found)
                        Assert.Equal(item, fields[1]);
                    if (propagate)
                    {
                        if (!found)
                            Interlocked.Increment(ref propagatedStale);
                        else if (fields[2] == "Replica")
                            Interlocked.Increment(ref propagatedReplicaReads);
                        else   // on the primary only because no replica could answer in time (waited, or the monitor saw both stopped)
                            Assert.Contains(fields[3], new[] { "CausalWaitTimedOut", "NoReplicaAvailable", "ReplicasNotCaughtUp" });
                    }
                    else if (!found)
                    {
                        Interlocked.Increment(ref plainStale);
                    }
                }
            });
        }
        finally
        {
            await stopLag.CancelAsync();
        }

        var report = await lag;
        output.WriteLine($"RESULT flavor={topology.Flavor} mode=web-propagation calls={calls} stale={propagatedStale} replica_reads={propagatedReplicaReads} unpropagated_stale={plainStale} stops={report.Stops}");
        Assert.Equal(0, propagatedStale);
        Assert.True(propagatedReplicaReads > 0, "service B never read its replica");
        Assert.True(plainStale > 0, "without propagation service B should have missed some writes under lag; the test could not fail");
    }

    private async Task<TestWebApp> StartAsync(TestWebApp.Settings? settings = null)
    {
        await OrderStory.CreateOrdersTableAsync(topology.Config.AdminConnectionString(topology.Config.PrimaryEndpoint));
        await topology.WaitForReplicasAsync();
        return await TestWebApp.StartAsync(topology, _keyRing, settings);
    }

    /// <summary>A write by <paramref name="user"/>: the protected token of its cookie and the position a request restores from it.</summary>
    private static async Task<(string Token, string Position)> WriteAsync(TestWebApp app, string cookieName, int user)
    {
        using var client = new HttpClient(new HttpClientHandler { UseCookies = false, AllowAutoRedirect = false }) { BaseAddress = app.BaseAddress };
        using var post = await client.PostAsync(new Uri($"/session?user={user}", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.OK, post.StatusCode);
        var cookie = post.Headers.GetValues("Set-Cookie").Single();
        Assert.StartsWith(cookieName + "=", cookie, StringComparison.Ordinal);
        var token = cookie[(cookieName.Length + 1)..cookie.IndexOf(';', StringComparison.Ordinal)];
        var position = await RestoredPositionAsync(app, $"{cookieName}={token}");
        Assert.NotEqual("", position);
        return (token, position);
    }

    /// <summary>
    /// POST /session with exactly these <c>Cookie</c> header lines, over a raw socket (HttpClient would join them into one
    /// line): the position the request's session was restored with, "" when no token was applied.
    /// </summary>
    private static async Task<string> RestoredPositionAsync(TestWebApp app, params string[] cookieLines)
    {
        var address = app.BaseAddress;
        using var tcp = new System.Net.Sockets.TcpClient();
        await tcp.ConnectAsync(address.Host, address.Port);
        await using var stream = tcp.GetStream();
        var request = $"POST /session?user=9 HTTP/1.1\r\nHost: {address.Authority}\r\nContent-Length: 0\r\nConnection: close\r\n"
            + string.Concat(cookieLines.Select(line => $"Cookie: {line}\r\n")) + "\r\n";
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(request));
        using var reader = new StreamReader(stream, System.Text.Encoding.UTF8);
        var response = await reader.ReadToEndAsync();

        var headEnd = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var head = response[..headEnd];
        var body = response[(headEnd + 4)..];
        Assert.True(head.StartsWith("HTTP/1.1 200", StringComparison.Ordinal), head);
        if (!head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
            return body;

        var text = new System.Text.StringBuilder();
        for (var at = 0; ;)
        {
            var lineEnd = body.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(body[at..lineEnd], 16);
            if (size == 0)
                return text.ToString();
            text.Append(body, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }

    private static HttpClient NewBrowser(TestWebApp app) =>
        new(new HttpClientHandler { CookieContainer = new CookieContainer(), UseCookies = true, AllowAutoRedirect = true }) { BaseAddress = app.BaseAddress };

    private static int IgnoredCount(TestWebApp app) => app.Log.Entries.Count(e => IgnoredTokenEvents.Contains(e.EventId));

    /// <summary>Users each POST an order, follow the 302 with their cookies and GET the order page, under real lag.</summary>
    private async Task<(int Stale, int ReplicaReads, LagInjectionReport Lag)> RunPostRedirectGetAsync(TestWebApp app, int iterations, string mode)
    {
        var injector = new LagInjector(topology.Flavor, topology.Config.ReplicaEndpoints.Select(topology.Config.AdminConnectionString));
        using var stopLag = new CancellationTokenSource();
        var lag = injector.RunAsync(Stopped, Running, stopLag.Token);
        int stale = 0, replicaReads = 0, next = -1;
        const int users = 16;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await Task.WhenAll(Enumerable.Range(0, users).Select(async user =>
            {
                using var browser = NewBrowser(app);
                int i;
                while ((i = Interlocked.Increment(ref next)) < iterations)
                {
                    var item = $"prg-{i}";
                    using var response = await browser.PostAsync(new Uri($"/orders?item={item}&user={user}", UriKind.Relative), null);
                    var body = await response.Content.ReadAsStringAsync();
                    Assert.Equal(HttpMethod.Get, response.RequestMessage!.Method);   // the redirect was followed
                    if (response.StatusCode == HttpStatusCode.NotFound)
                    {
                        Interlocked.Increment(ref stale);
                        continue;
                    }

                    Assert.True(response.StatusCode == HttpStatusCode.OK, body);
                    var fields = body.Split('|');
                    Assert.Equal(item, fields[0]);
                    if (fields[1] == "Replica")
                        Interlocked.Increment(ref replicaReads);
                }
            }));
        }
        finally
        {
            await stopLag.CancelAsync();
        }

        var report = await lag;
        output.WriteLine($"RESULT flavor={topology.Flavor} mode={mode} pairs={iterations} stale={stale} replica_reads={replicaReads} " +
            $"stops={report.Stops} elapsed_ms={System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0}");
        return (stale, replicaReads, report);
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbAspNetCoreTests(MariaDbTopology topology, ITestOutputHelper output) : AspNetCoreTests(topology, output);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlAspNetCoreTests(MySqlTopology topology, ITestOutputHelper output) : AspNetCoreTests(topology, output);
