// The demo: a small workload on each local topology, printing which server answered each statement and why.
// Run it with ./build.sh demo (it starts the topologies first); RR_* variables point it elsewhere.
using Dapper;
using MySqlConnector;
using ReplicaRouting;

var flavors = (Environment.GetEnvironmentVariable("RR_FLAVORS") ?? "mariadb,mysql").Split(',', StringSplitOptions.RemoveEmptyEntries);
foreach (var flavor in flavors)
    await RunAsync(flavor);

static async Task RunAsync(string flavor)
{
    var nodes = Env($"RR_{flavor.ToUpperInvariant()}_NODES") ?? (flavor == "mysql" ? "127.0.0.1:3321,127.0.0.1:3322,127.0.0.1:3323" : "127.0.0.1:3311,127.0.0.1:3312,127.0.0.1:3313");
    var endpoints = nodes.Split(',');
    var builder = new ReplicaRoutingDataSourceBuilder()
        .UsePrimary(ConnectionString(endpoints[0]))
        .Configure(o => o.Consistency = ReadConsistency.Eventual);
    foreach (var replica in endpoints[1..])
        builder.AddReplica(ConnectionString(replica));
    await using var dataSource = builder.Build();

    Console.WriteLine();
    Console.WriteLine($"== {flavor}: primary {endpoints[0]}, replicas {string.Join(", ", endpoints[1..])}  (consistency: Eventual, a plain split)");
    Console.WriteLine($"{"statement",-62} {"answered by",-26} reason");
    Console.WriteLine(new string('-', 110));

    await using var connection = await dataSource.OpenConnectionAsync();
    await Show(connection, "CREATE TABLE IF NOT EXISTS demo_orders (id BIGINT AUTO_INCREMENT PRIMARY KEY, item VARCHAR(50))");
    await Show(connection, "INSERT INTO demo_orders (item) VALUES ('coffee')");
    await Show(connection, "SELECT COUNT(*) FROM demo_orders");
    await Show(connection, "SELECT COUNT(*) FROM demo_orders");
    await Show(connection, "SELECT id FROM demo_orders ORDER BY id DESC LIMIT 1 FOR UPDATE");
    await Show(connection, "-- ReplicaRouting:ReadFromPrimary\nSELECT COUNT(*) FROM demo_orders");
    await Show(connection, "SHOW TABLES");
    await Show(connection, "SELECT LAST_INSERT_ID()");

    // Session state pins this logical connection to the primary until it closes.
    await using var pinned = await dataSource.OpenConnectionAsync();
    await Show(pinned, "CREATE TEMPORARY TABLE demo_scratch (v INT)");
    await Show(pinned, "SELECT COUNT(*) FROM demo_scratch");

    await using var transactional = await dataSource.OpenConnectionAsync();
    await Show(transactional, "START TRANSACTION READ ONLY");
    await Show(transactional, "SELECT COUNT(*) FROM demo_orders");
    await Show(transactional, "COMMIT");
    await Show(transactional, "START TRANSACTION");
    await Show(transactional, "SELECT COUNT(*) FROM demo_orders");
    await Show(transactional, "COMMIT");
}

static async Task Show(ReplicaRoutingConnection connection, string sql)
{
    await connection.ExecuteAsync(sql);
    var decision = connection.LastRoutingDecision!.Value;
    var shown = sql.Replace('\n', ' ');
    shown = shown.Length > 60 ? shown[..59] + "…" : shown;
    Console.WriteLine($"{shown,-62} {decision.Target.ToString().ToLowerInvariant() + " " + decision.Node,-26} {decision.Reason}");
}

static string ConnectionString(string endpoint)
{
    var colon = endpoint.LastIndexOf(':');
    return new MySqlConnectionStringBuilder
    {
        Server = endpoint[..colon],
        Port = uint.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture),
        UserID = Env("RR_USER") ?? "rr_app",
        Password = Env("RR_PASSWORD") ?? "rr_app_pw",
        Database = Env("RR_DATABASE") ?? "rr_test",
        SslMode = MySqlSslMode.None,
        AllowPublicKeyRetrieval = true,
    }.ConnectionString;
}

static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
