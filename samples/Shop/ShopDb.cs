using Microsoft.EntityFrameworkCore;

namespace ReplicaRouting.Samples.Shop;

/// <summary>An order: what the lost-order story is about.</summary>
public sealed class Order
{
    public long Id { get; set; }

    public required string Customer { get; set; }

    public required string Item { get; set; }

    public DateTime CreatedAt { get; set; }
}

/// <summary>
/// A queue row: "confirm order N", written by the request that placed the order and run later by the
/// <see cref="ConfirmationWorker"/>. It carries the request's consistency token, so that the job reads at least what the
/// request wrote.
/// </summary>
public sealed class ConfirmationJob
{
    public long Id { get; set; }

    public long OrderId { get; set; }

    /// <summary>The request's token (plain core text, see docs/aspnetcore.md), or null when the request did not hand it on.</summary>
    public string? ConsistencyToken { get; set; }

    public DateTime EnqueuedAt { get; set; }

    /// <summary>When the job read the order (UTC, the same clock as <see cref="EnqueuedAt"/>); null while it waits in the queue.</summary>
    public DateTime? DoneAt { get; set; }

    /// <summary>Whether the job found its order: false is the lost order again, seen by a job that read a lagging replica.</summary>
    public bool? OrderFound { get; set; }

    /// <summary>Which node answered the job's read of the order, and why: <c>Target; Reason; node</c>.</summary>
    public string? ReadBy { get; set; }
}

public sealed class ShopDb(DbContextOptions<ShopDb> options) : DbContext(options)
{
    public DbSet<Order> Orders => Set<Order>();

    public DbSet<ConfirmationJob> ConfirmationJobs => Set<ConfirmationJob>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Order>(order =>
        {
            order.ToTable("shop_orders");
            order.Property(o => o.Customer).HasMaxLength(100);
            order.Property(o => o.Item).HasMaxLength(100);
            order.Property(o => o.CreatedAt).HasDefaultValueSql("CURRENT_TIMESTAMP(6)");
        });
        modelBuilder.Entity<ConfirmationJob>(job =>
        {
            job.ToTable("shop_confirmation_jobs");
            job.Property(j => j.ConsistencyToken).HasMaxLength(ConsistencyToken.MaxLength);
            job.Property(j => j.ReadBy).HasMaxLength(200);
        });
    }
}
