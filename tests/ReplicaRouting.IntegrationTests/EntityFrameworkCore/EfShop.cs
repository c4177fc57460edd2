using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ReplicaRouting.IntegrationTests.EntityFrameworkCore;

/// <summary>The tiny model of the EF Core tests: customers with orders, in tables prefixed <c>ef_</c>.</summary>
public sealed class EfShop(DbContextOptions<EfShop> options) : DbContext(options)
{
    public const string CreateTablesSql =
        """
        CREATE TABLE IF NOT EXISTS ef_customers (
            Id BIGINT AUTO_INCREMENT PRIMARY KEY,
            Name VARCHAR(100) NOT NULL,
            Tier INT NOT NULL DEFAULT 0,
            INDEX ix_ef_customers_name (Name)
        ) ENGINE=InnoDB;
        CREATE TABLE IF NOT EXISTS ef_orders (
            Id BIGINT AUTO_INCREMENT PRIMARY KEY,
            CustomerId BIGINT NOT NULL,
            Item VARCHAR(100) NOT NULL,
            Quantity INT NOT NULL,
            INDEX ix_ef_orders_customer (CustomerId)
        ) ENGINE=InnoDB;
        """;

    public DbSet<EfCustomer> Customers => Set<EfCustomer>();

    public DbSet<EfOrder> Orders => Set<EfOrder>();

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<EfCustomer>(e =>
        {
            e.ToTable("ef_customers");
            e.Property(c => c.Name).HasMaxLength(100);
            e.HasIndex(c => c.Name);
            e.HasMany(c => c.Orders).WithOne().HasForeignKey(o => o.CustomerId);
        });
        modelBuilder.Entity<EfOrder>(e =>
        {
            e.ToTable("ef_orders");
            e.Property(o => o.Item).HasMaxLength(100);
        });
    }
}

public sealed class EfCustomer
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public int Tier { get; set; }

    public List<EfOrder> Orders { get; } = [];
}

public sealed class EfOrder
{
    public long Id { get; set; }

    public long CustomerId { get; set; }

    public required string Item { get; set; }

    public int Quantity { get; set; }
}

/// <summary>A second tiny model whose schema comes from a hand-written migration.</summary>
public sealed class EfNotes(DbContextOptions<EfNotes> options) : DbContext(options)
{
    public DbSet<EfNote> Notes => Set<EfNote>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.Entity<EfNote>(e =>
        {
            e.ToTable("ef_notes");
            e.Property(n => n.Text).HasMaxLength(200);
        });
}

public sealed class EfNote
{
    public long Id { get; set; }

    public required string Text { get; set; }
}

[DbContext(typeof(EfNotes))]
[Migration("20250101000000_EfNotesInitial")]
public sealed class EfNotesInitial : Migration
{
    public const string Id = "20250101000000_EfNotesInitial";

    protected override void Up(MigrationBuilder migrationBuilder) =>
        migrationBuilder.CreateTable(
            name: "ef_notes",
            columns: table => new
            {
                Id = table.Column<long>(nullable: false).Annotation("MySql:ValueGenerationStrategy", MySqlValueGenerationStrategy.IdentityColumn),
                Text = table.Column<string>(maxLength: 200, nullable: false),
            },
            constraints: table => table.PrimaryKey("PK_ef_notes", x => x.Id));

    protected override void Down(MigrationBuilder migrationBuilder) => migrationBuilder.DropTable(name: "ef_notes");
}
