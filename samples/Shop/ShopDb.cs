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

public sealed class ShopDb(DbContextOptions<ShopDb> options) : DbContext(options)
{
    public DbSet<Order> Orders => Set<Order>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<Order>(order =>
        {
            order.ToTable("shop_orders");
            order.Property(o => o.Customer).HasMaxLength(100);
            order.Property(o => o.Item).HasMaxLength(100);
            order.Property(o => o.CreatedAt).HasDefaultValueSql("CURRENT_TIMESTAMP(6)");
        });
    }
}
