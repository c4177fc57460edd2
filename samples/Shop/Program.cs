// The sample shop on its own: dotnet run --project samples/Shop (configure ReplicaRouting:Primary/Replicas, e.g. in
// appsettings.json or ReplicaRouting__Primary=… environment variables). The demo and the browser test start it in-process.
using ReplicaRouting.Samples.Shop;

var app = ShopApp.Build(args);
await ShopApp.EnsureSchemaAsync(app.Services);
await app.RunAsync();
