using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace ReplicaRouting.Samples.Shop;

/// <summary>The shop running on Kestrel at 127.0.0.1 and a port the system picks: how the demo and the tests host it.</summary>
public sealed class ShopHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ShopHost(WebApplication app, Uri baseAddress)
    {
        _app = app;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    public IServiceProvider Services => _app.Services;

    /// <summary>Starts the shop with <paramref name="settings"/> as its configuration and makes sure its table exists.</summary>
    /// <param name="settings">The <c>ReplicaRouting</c> and <c>Shop</c> configuration keys.</param>
    /// <param name="configure">Anything else (logging, services), applied after the settings.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    public static async Task<ShopHost> StartAsync(IReadOnlyDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null, CancellationToken cancellationToken = default)
    {
        var app = ShopApp.Build([], builder =>
        {
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Configuration.AddInMemoryCollection(settings);
            configure?.Invoke(builder);
        });

        try
        {
            await app.StartAsync(cancellationToken);
            await ShopApp.EnsureSchemaAsync(app.Services);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.Single()
                ?? throw new InvalidOperationException("Kestrel did not report its address.");
            return new ShopHost(app, new Uri(address));
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _app.StopAsync(timeout.Token);
        }
        finally
        {
            await _app.DisposeAsync();
        }
    }
}
