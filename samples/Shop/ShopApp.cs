using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using ReplicaRouting.EntityFrameworkCore;

namespace ReplicaRouting.Samples.Shop;

/// <summary>
/// The sample shop: place an order, get redirected to its page, list recent orders. Built as a function so the demo and
/// the end-to-end test can start it (twice: as the shop and as a second service) on any port.
/// </summary>
public static class ShopApp
{
    /// <summary>The response header that tells which node answered the page's query, and why (for the demo and tests).</summary>
    public const string RouteHeader = "X-ReplicaRouting-Route";

    private const string CreateTables = """
        CREATE TABLE IF NOT EXISTS shop_orders (
            Id BIGINT AUTO_INCREMENT PRIMARY KEY,
            Customer VARCHAR(100) NOT NULL,
            Item VARCHAR(100) NOT NULL,
            CreatedAt DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
        ) ENGINE=InnoDB;
        CREATE TABLE IF NOT EXISTS shop_confirmation_jobs (
            Id BIGINT AUTO_INCREMENT PRIMARY KEY,
            OrderId BIGINT NOT NULL,
            ConsistencyToken VARCHAR(4096) CHARACTER SET ascii NULL,
            EnqueuedAt DATETIME(6) NOT NULL,
            DoneAt DATETIME(6) NULL,
            OrderFound BOOL NULL,
            ReadBy VARCHAR(200) NULL,
            KEY pending (DoneAt, Id),
            KEY by_order (OrderId)
        ) ENGINE=InnoDB
        """;

    /// <summary>Builds the shop. Configuration: the <c>ReplicaRouting</c> section (see docs/aspnetcore.md),
    /// <c>Shop:KeysDirectory</c> (Data Protection keys shared by every instance), <c>Shop:PartnerUrl</c> (the second service)
    /// and <c>Shop:Confirmations</c> (<see cref="ConfirmationOptions"/>: the background job that confirms each order).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        var configuration = builder.Configuration;

        // Every instance must read the others' tokens: one application name, one key ring.
        var dataProtection = builder.Services.AddDataProtection().SetApplicationName("ReplicaRouting.Shop");
        if (configuration["Shop:KeysDirectory"] is { Length: > 0 } keys)
            dataProtection.PersistKeysToFileSystem(new DirectoryInfo(keys));

        builder.Services.AddReplicaRouting(configuration.GetSection("ReplicaRouting"));
        builder.Services.AddDbContext<ShopDb>((services, options) => options
            .UseMySql(ReplicaRoutingServerVersion.AutoDetect(services.GetRequiredService<ReplicaRoutingDataSource>()))
            .UseReplicaRouting(services));
        var confirmations = configuration.GetSection("Shop:Confirmations").Get<ConfirmationOptions>() ?? new ConfirmationOptions();
        if (confirmations.Worker)
            builder.Services.AddHostedService<ConfirmationWorker>();
        builder.Services.AddHttpClient("partner", client =>
            {
                if (configuration["Shop:PartnerUrl"] is { Length: > 0 } partner)
                    client.BaseAddress = new Uri(partner);
            })
            .AddReplicaRoutingPropagation();

        var app = builder.Build();
        app.UseReplicaRouting();

        app.MapGet("/", Pages.Home);

        app.MapPost("/orders", async (HttpRequest request, ShopDb db) =>
        {
            var form = await request.ReadFormAsync();
            var order = new Order { Customer = form["customer"].ToString(), Item = form["item"].ToString() };
            if (order.Customer.Length is 0 or > 100 || order.Item.Length is 0 or > 100)
                return Results.BadRequest("Customer and item are required (at most 100 characters).");
            db.Orders.Add(order);
            await db.SaveChangesAsync();
            if (confirmations.Enqueue)
            {
                // The job runs elsewhere, later: hand it this request's token (it now holds the order's write) in the queue row.
                var token = confirmations.CarryToken ? RoutingSession.Current?.Token?.ToString() : null;
                db.ConfirmationJobs.Add(new ConfirmationJob { OrderId = order.Id, ConsistencyToken = token, EnqueuedAt = DateTime.UtcNow });
                await db.SaveChangesAsync();
            }

            return Results.Redirect($"/orders/{order.Id}");   // the redirect after POST: the next request must see the order
        }).DisableAntiforgery();

        app.MapGet("/orders/{id:long}", async (long id, ShopDb db, HttpResponse response) =>
        {
            var order = await db.Orders.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id);
            TellRoute(db, response);
            return order is null ? Pages.NoSuchOrder(id) : Pages.Order(order);
        });

        app.MapGet("/orders", async (ShopDb db, HttpResponse response) =>
        {
            var recent = await db.Orders.AsNoTracking().OrderByDescending(o => o.Id).Take(20).ToListAsync();
            TellRoute(db, response);
            return Pages.List(recent);
        });

        // The second service's API, and the first service asking it (the token travels in the propagated header).
        app.MapGet("/api/orders/{id:long}", async (long id, ShopDb db, HttpResponse response) =>
        {
            var order = await db.Orders.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id);
            TellRoute(db, response);
            return order is null ? Results.NotFound() : Results.Ok(new { order.Id, order.Customer, order.Item });
        });

        app.MapGet("/orders/{id:long}/partner", async (long id, IHttpClientFactory clients) =>
        {
            if (string.IsNullOrEmpty(configuration["Shop:PartnerUrl"]))
            {
                return Results.Problem(
                    title: "The partner service is not configured",
                    detail: "Set Shop:PartnerUrl to the base address of a second shop instance (same database and key ring) to ask it for this order.",
                    statusCode: StatusCodes.Status404NotFound);
            }

            using var answer = await clients.CreateClient("partner").GetAsync($"/api/orders/{id}");
            return Results.Json(new { partnerSeesOrder = answer.IsSuccessStatusCode, partnerRoute = answer.Headers.TryGetValues(RouteHeader, out var route) ? route.First() : null });
        });

        return app;
    }

    /// <summary>Creates the shop's tables if needed (on the primary; replicas get them through replication).</summary>
    public static async Task EnsureSchemaAsync(IServiceProvider services)
    {
        await using var scope = services.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShopDb>();
        await db.Database.ExecuteSqlRawAsync(CreateTables);
    }

    /// <summary>Which node answered the context's last command, and why: <c>Target; Reason; node</c> (null before any).</summary>
    public static string? Route(ShopDb db) =>
        db.Database.GetDbConnection() is ReplicaRoutingConnection { LastRoutingDecision: { } decision } ? $"{decision.Target}; {decision.Reason}; {decision.Node}" : null;

    private static void TellRoute(ShopDb db, HttpResponse response)
    {
        if (Route(db) is { } route)
            response.Headers[RouteHeader] = route;
    }
}
