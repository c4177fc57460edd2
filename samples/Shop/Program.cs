// The sample shop on its own: dotnet run --project samples/Shop (servers from shop.settings.json, which points at the
// local MariaDB topology; ReplicaRouting__Primary=… environment variables override it). The demo and the browser test
// start it in-process with their own configuration.
using ReplicaRouting.Samples.Shop;

var app = ShopApp.Build(args, builder =>
{
    builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Json.JsonConfigurationSource
    {
        Path = Path.Combine(AppContext.BaseDirectory, "shop.settings.json"),
        Optional = true,
    });   // lowest priority: environment variables and the command line still override it
});
await ShopApp.EnsureSchemaAsync(app.Services);
await app.RunAsync();
