using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using ReplicaRouting.IntegrationTests.Infrastructure;
using ReplicaRouting.Samples.Shop;
using Xunit.Abstractions;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// The sample shop started the documented way, <c>dotnet run --project samples/Shop</c> from the repository root (the
/// already built configuration of this test run: <c>--no-build -c …</c>), without <c>Shop:PartnerUrl</c>: it must start
/// and every page must answer without a server error. On MariaDB it runs on its own settings file alone (the local
/// topology); on MySQL the servers come from <c>ReplicaRouting__…</c> environment variables, the documented override.
/// </summary>
public abstract class ShopSampleTests(TopologyFixture topology, ITestOutputHelper output)
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Dotnet_run_starts_the_shop_and_every_page_answers_without_a_server_error_with_the_partner_unset()
    {
        await using var shop = await RunningShop.StartAsync(ShopEnvironment(), output);
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = new CookieContainer(), AllowAutoRedirect = false }) { BaseAddress = shop.BaseAddress };
        var item = $"sample-{topology.Flavor}-{Guid.NewGuid():N}"[..30];

        var home = await GetAsync(client, "/", HttpStatusCode.OK);
        Assert.Contains("Place an order", home, StringComparison.Ordinal);

        using var placed = await client.PostAsync(new Uri("/orders", UriKind.Relative),
            new FormUrlEncodedContent(new Dictionary<string, string> { ["customer"] = "Ada", ["item"] = item }));
        Assert.Equal(HttpStatusCode.Redirect, placed.StatusCode);
        var orderPage = placed.Headers.Location!.OriginalString;
        var id = long.Parse(orderPage["/orders/".Length..], System.Globalization.CultureInfo.InvariantCulture);

        Assert.Contains(item, await GetAsync(client, orderPage, HttpStatusCode.OK), StringComparison.Ordinal);
        Assert.Contains(item, await GetAsync(client, "/orders", HttpStatusCode.OK), StringComparison.Ordinal);
        Assert.Contains(item, await GetAsync(client, $"/api/orders/{id}", HttpStatusCode.OK), StringComparison.Ordinal);
        Assert.Contains("No such order", await GetAsync(client, "/orders/0", HttpStatusCode.NotFound), StringComparison.Ordinal);
        await GetAsync(client, "/api/orders/0", HttpStatusCode.NotFound);

        // The partner page says what is missing, as ProblemDetails, instead of failing.
        using var partner = await client.GetAsync(new Uri($"/orders/{id}/partner", UriKind.Relative));
        var problem = await partner.Content.ReadAsStringAsync();
        output.WriteLine($"GET /orders/{id}/partner → {(int)partner.StatusCode} {problem}");
        Assert.Equal(HttpStatusCode.NotFound, partner.StatusCode);
        Assert.Equal("application/problem+json", partner.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Shop:PartnerUrl", problem, StringComparison.Ordinal);

        using var invalid = await client.PostAsync(new Uri("/orders", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }

    /// <summary>The environment of the shop's process: never a partner, and the servers only where the flavor needs them.</summary>
    private Dictionary<string, string?> ShopEnvironment()
    {
        var environment = new Dictionary<string, string?> { ["Shop__PartnerUrl"] = null };
        if (topology.Flavor == TopologyConfig.MySql)
        {
            var config = topology.Config;
            environment["ReplicaRouting__Primary"] = config.ConnectionString(config.PrimaryEndpoint, TopologyConfig.EfCoreOptions);
            for (var i = 0; i < config.ReplicaEndpoints.Count; i++)
                environment[$"ReplicaRouting__Replicas__{i}"] = config.ConnectionString(config.ReplicaEndpoints[i], TopologyConfig.EfCoreOptions);
        }

        return environment;
    }

    private async Task<string> GetAsync(HttpClient client, string path, HttpStatusCode expected)
    {
        using var response = await client.GetAsync(new Uri(path, UriKind.Relative));
        var body = await response.Content.ReadAsStringAsync();
        output.WriteLine($"GET {path} → {(int)response.StatusCode}");
        Assert.True(response.StatusCode == expected, $"GET {path}: {(int)response.StatusCode} {body}");
        return body;
    }

    /// <summary>The shop as a child process of <c>dotnet run</c>, stopped (with its process tree) on dispose.</summary>
    private sealed class RunningShop : IAsyncDisposable
    {
        private readonly Process _process;
        private readonly ConcurrentQueue<string> _lines;

        private RunningShop(Process process, ConcurrentQueue<string> lines, Uri baseAddress)
        {
            _process = process;
            _lines = lines;
            BaseAddress = baseAddress;
        }

        public Uri BaseAddress { get; }

        public static async Task<RunningShop> StartAsync(Dictionary<string, string?> environment, ITestOutputHelper output)
        {
            var configuration = typeof(ShopApp).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
            var baseAddress = new Uri($"http://127.0.0.1:{FreePort()}/");
            var start = new ProcessStartInfo("dotnet")
            {
                WorkingDirectory = RepositoryRoot(),
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var argument in new[] { "run", "--project", "samples/Shop", "--no-build", "-c", configuration })
                start.ArgumentList.Add(argument);
            start.Environment["ASPNETCORE_URLS"] = baseAddress.ToString();
            foreach (var (name, value) in environment)
                start.Environment[name] = value;
            foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("ReplicaRouting__", StringComparison.OrdinalIgnoreCase) && !environment.ContainsKey(k)).ToList())
                start.Environment.Remove(name);   // only what this test sets, not the runner's

            var lines = new ConcurrentQueue<string>();
            var process = new Process { StartInfo = start };
            process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
            process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
            process.Start();
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var shop = new RunningShop(process, lines, baseAddress);
            output.WriteLine($"dotnet {string.Join(' ', start.ArgumentList)} (in {start.WorkingDirectory}) on {baseAddress}");

            try
            {
                await shop.WaitUntilItAnswersAsync();
                return shop;
            }
            catch
            {
                await shop.DisposeAsync();
                throw;
            }
        }

        private async Task WaitUntilItAnswersAsync()
        {
            using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
            var waited = Stopwatch.StartNew();
            while (true)
            {
                if (_process.HasExited)
                    Assert.Fail($"the shop exited with code {_process.ExitCode} before answering:\n{Output()}");
                if (waited.Elapsed > StartLimit)
                    Assert.Fail($"the shop did not answer within {StartLimit}:\n{Output()}");
                try
                {
                    using var response = await client.GetAsync(new Uri("/", UriKind.Relative));
                    return;   // it answers; what it answers is the test's business
                }
                catch (HttpRequestException)
                {
                    await Task.Delay(200);
                }
            }
        }

        private string Output() => string.Join('\n', _lines.TakeLast(40));

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
                _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
            _process.Dispose();
        }

        private static int FreePort()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
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
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbShopSampleTests(MariaDbTopology topology, ITestOutputHelper output) : ShopSampleTests(topology, output);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlShopSampleTests(MySqlTopology topology, ITestOutputHelper output) : ShopSampleTests(topology, output);
