using System.Globalization;
using MySqlConnector;

namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// Where the servers are: the variables <c>scripts/servers/servers.sh env</c> prints (the same ones the integration tests
/// read), else the local topology's defaults. Every pair runs against the primary and the FIRST replica only, so the routed
/// and the plain side always talk to the same server.
/// </summary>
internal sealed record BenchTopology(string Flavor, string Primary, string Replica, string User, string Password, string Database)
{
    public static BenchTopology Load(string flavor)
    {
        var defaults = flavor == "mysql" ? "127.0.0.1:3321,127.0.0.1:3322,127.0.0.1:3323" : "127.0.0.1:3311,127.0.0.1:3312,127.0.0.1:3313";
        var nodes = (Env($"RR_{flavor.ToUpperInvariant()}_NODES") ?? defaults)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (nodes.Length < 2)
            throw new InvalidOperationException($"RR_{flavor.ToUpperInvariant()}_NODES must name a primary and at least one replica.");
        return new BenchTopology(flavor, nodes[0], nodes[1], Env("RR_USER") ?? "rr_app", Env("RR_PASSWORD") ?? "rr_app_pw", Env("RR_DATABASE") ?? "rr_test");
    }

    public bool IsMariaDb => Flavor == "mariadb";

    public string ConnectionString(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        return new MySqlConnectionStringBuilder
        {
            Server = endpoint[..colon],
            Port = uint.Parse(endpoint[(colon + 1)..], CultureInfo.InvariantCulture),
            UserID = User,
            Password = Password,
            Database = Database,
            SslMode = MySqlSslMode.None,
            AllowPublicKeyRetrieval = true,
            MaximumPoolSize = 200,
        }.ConnectionString;
    }

    /// <summary>A routed data source over the primary and the one replica the plain side uses.</summary>
    public ReplicaRoutingDataSource BuildRouted(ReadConsistency consistency) =>
        new ReplicaRoutingDataSourceBuilder()
            .UsePrimary(ConnectionString(Primary))
            .AddReplica(ConnectionString(Replica))
            .Configure(o => o.Consistency = consistency)
            .Build();

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
