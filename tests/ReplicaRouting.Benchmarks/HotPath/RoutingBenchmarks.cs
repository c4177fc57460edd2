using BenchmarkDotNet.Attributes;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Benchmarks.HotPath;

/// <summary>
/// The per-command decision without a server: classify the text, decide primary or replica, pick the replica. This is
/// the work <c>ReplicaRoutingConnection.RouteAsync</c> adds to every command before any I/O.
/// </summary>
[MemoryDiagnoser]
public class RoutingBenchmarks
{
    /// <summary>What Dapper sends for a lookup by primary key.</summary>
    internal const string ShortSelect = "SELECT id, customer_id, item, quantity, created_at FROM orders WHERE id = @id";

    internal const string Insert = "INSERT INTO `Orders` (`CustomerId`, `CreatedAt`, `Item`, `Quantity`) VALUES (@p0, @p1, @p2, @p3)";

    /// <summary>The README's insert-and-return-the-id pair.</summary>
    internal const string MultiStatement = "INSERT INTO orders (item) VALUES (@item); SELECT LAST_INSERT_ID()";

    /// <summary>An EF Core query of about 2 KB whose TagWith lines carry the ReadFromPrimary hint.</summary>
    internal static readonly string EfTaggedSelect = BuildEfTaggedSelect();

    private readonly RoutingNode[] _nodes;
    private readonly RoutingNode[] _replicas;
    private readonly ReplicaSelector _selector = ReplicaSelector.Create(ReplicaSelectionPolicy.RoundRobin);

    public RoutingBenchmarks()
    {
        // Nodes over pools that are never opened: a data source only connects when a connection is opened.
        _nodes = new RoutingNode[3];
        for (var i = 0; i < _nodes.Length; i++)
        {
            var pool = new MySqlDataSource($"Server=node{i}.invalid;User ID=bench;Database=bench");
            _nodes[i] = new RoutingNode(i, i == 0 ? RouteTarget.Primary : RouteTarget.Replica, pool, $"node{i}.invalid:3306", TimeProvider.System);
        }

        _replicas = _nodes[1..];
    }

    [Benchmark]
    public int RouteShortSelectByKey() => Route(ShortSelect);

    [Benchmark]
    public int RouteEfTaggedSelect2K() => Route(EfTaggedSelect);

    [Benchmark]
    public int RouteInsert() => Route(Insert);

    [Benchmark]
    public int RouteMultiStatement() => Route(MultiStatement);

    /// <summary>The node index the command goes to, plus the reason: what RouteAsync computes before any I/O.</summary>
    private int Route(string sql)
    {
        var statement = SqlClassifier.Classify(sql);
        var (target, reason) = Router.Decide(new RoutingFacts(statement, RoutingHint.None, ConnectionPin.None, ReadConsistency.ReadYourWrites));
        var node = target == RouteTarget.Replica ? _selector.Select(_replicas, exclude: null) ?? _nodes[0] : _nodes[0];
        return node.Index * 100 + (int)reason;
    }

    private static string BuildEfTaggedSelect()
    {
        // The shape EF Core + Pomelo generate for an Include + filter + paging query, tags first.
        var sql = """
            -- Orders of the signed-in customer, newest first
            -- ReplicaRouting:ReadFromPrimary

            SELECT `t`.`Id`, `t`.`CreatedAt`, `t`.`CustomerId`, `t`.`Item`, `t`.`Quantity`, `t`.`Status`, `t`.`ShippedAt`,
                   `t`.`TotalAmount`, `t`.`Currency`, `t`.`Notes`, `t0`.`Id`, `t0`.`OrderId`, `t0`.`ProductId`, `t0`.`Quantity`,
                   `t0`.`UnitPrice`, `t0`.`Discount`, `t0`.`TaxRate`, `t0`.`Id0`, `t0`.`Name`, `t0`.`Sku`, `t0`.`Category`,
                   `t0`.`Weight`, `t0`.`Width`, `t0`.`Height`, `t0`.`Depth`, `t0`.`Description`, `c`.`Id`, `c`.`Name`, `c`.`Email`,
                   `c`.`Phone`, `c`.`Street`, `c`.`City`, `c`.`PostalCode`, `c`.`Country`, `c`.`CreatedAt`, `c`.`IsActive`
            FROM (
                SELECT `o`.`Id`, `o`.`CreatedAt`, `o`.`CustomerId`, `o`.`Item`, `o`.`Quantity`, `o`.`Status`, `o`.`ShippedAt`,
                       `o`.`TotalAmount`, `o`.`Currency`, `o`.`Notes`
                FROM `Orders` AS `o`
                WHERE (`o`.`CustomerId` = @__customerId_0) AND (`o`.`CreatedAt` >= @__since_1) AND (`o`.`Status` <> 'cancelled')
                ORDER BY `o`.`CreatedAt` DESC, `o`.`Id` DESC
                LIMIT @__p_3 OFFSET @__p_2
            ) AS `t`
            INNER JOIN `Customers` AS `c` ON `t`.`CustomerId` = `c`.`Id`
            LEFT JOIN (
                SELECT `l`.`Id`, `l`.`OrderId`, `l`.`ProductId`, `l`.`Quantity`, `l`.`UnitPrice`, `l`.`Discount`, `l`.`TaxRate`,
                       `p`.`Id` AS `Id0`, `p`.`Name`, `p`.`Sku`, `p`.`Category`, `p`.`Weight`, `p`.`Width`, `p`.`Height`, `p`.`Depth`,
                       `p`.`Description`
                FROM `OrderLines` AS `l`
                INNER JOIN `Products` AS `p` ON `l`.`ProductId` = `p`.`Id`
                WHERE `p`.`IsDiscontinued` = FALSE OR `l`.`Quantity` > 0
            ) AS `t0` ON `t`.`Id` = `t0`.`OrderId`
            WHERE `c`.`IsActive` AND (`c`.`Country` IN ('DE', 'FR', 'NL', 'BE', 'AT', 'CH', 'IT', 'ES', 'PT', 'PL', 'CZ', 'DK'))
            ORDER BY `t`.`CreatedAt` DESC, `t`.`Id` DESC, `c`.`Id`, `t0`.`Id`, `t0`.`Id0`
            """;
        return sql.Replace("\r\n", "\n", StringComparison.Ordinal);
    }
}
