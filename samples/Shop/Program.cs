// The sample shop on its own: dotnet run --project samples/Shop (servers from shop.settings.json, which points at the
// local MariaDB topology; ReplicaRouting__Primary=… environment variables override it). The demo and the browser test
// start it in-process with their own configuration.
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;
using ReplicaRouting.Samples.Shop;

var app = ShopApp.Build(args, builder =>
{
    // Next to the program, not in the content root: `dotnet run --project` starts it in the caller's directory. The file
    // provider is explicit because the content root's provider cannot read a file outside the content root.
    builder.Configuration.Sources.Insert(0, new JsonConfigurationSource
    {
        FileProvider = new PhysicalFileProvider(AppContext.BaseDirectory),
        Path = "shop.settings.json",
        Optional = false,
    });   // lowest priority: environment variables and the command line still override it
});
await ShopApp.EnsureSchemaAsync(app.Services);
await app.RunAsync();
