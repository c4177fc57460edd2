using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// Where one flavor's primary and replicas are, for the demo, the tests and the benchmarks alike. Defaults match
/// <c>scripts/servers/servers.sh</c>; environment variables (the same ones <c>servers.sh env</c> prints) point them at
/// another topology.
/// </summary>
public sealed record TopologyConfig(string Flavor, IReadOnlyList<string> Nodes, string User, string Password, string AdminUser, string AdminPassword, string Database)
{
    public const string MariaDb = "mariadb";
    public const string MySql = "mysql";

    private static readonly Dictionary<string, string> DefaultNodes = new()
    {
        [MariaDb] = "127.0.0.1:3311,127.0.0.1:3312,127.0.0.1:3313",
        [MySql] = "127.0.0.1:3321,127.0.0.1:3322,127.0.0.1:3323",
    };

    /// <summary>
    /// Endpoints of the failover set (<c>RR_SERVERS_SET=failover scripts/servers/servers.sh</c>): a separate, disposable
    /// topology per flavor that failover tests may kill and promote without disturbing the shared one.
    /// </summary>
    private static readonly Dictionary<string, string> DefaultFailoverNodes = new()
    {
        [MariaDb] = "127.0.0.1:3331,127.0.0.1:3332,127.0.0.1:3333",
        [MySql] = "127.0.0.1:3341,127.0.0.1:3342,127.0.0.1:3343",
    };

    /// <summary>What EF Core's provider (Pomelo) requires in every connection string it is given.</summary>
    public const string EfCoreOptions = "AllowUserVariables=True;UseAffectedRows=False";

    public string PrimaryEndpoint => Nodes[0];

    public IReadOnlyList<string> ReplicaEndpoints => Nodes.Skip(1).ToArray();

    public static TopologyConfig Load(string flavor) =>
        Create(flavor, Env($"RR_{flavor.ToUpperInvariant()}_NODES") ?? DefaultNodes[flavor]);

    /// <summary>
    /// The failover set of one flavor: nodes from <c>RR_FAILOVER_&lt;FLAVOR&gt;_NODES</c> (what
    /// <c>RR_SERVERS_SET=failover servers.sh env</c> prints), else 3331-3333 (MariaDB) or 3341-3343 (MySQL), node 1 being
    /// the primary. Users and database as in <see cref="Load"/>.
    /// </summary>
    /// <param name="flavor"><see cref="MariaDb"/> or <see cref="MySql"/>.</param>
    /// <returns>The failover set's configuration.</returns>
    public static TopologyConfig LoadFailoverSet(string flavor) =>
        Create(flavor, Env($"RR_FAILOVER_{flavor.ToUpperInvariant()}_NODES") ?? DefaultFailoverNodes[flavor]);

    /// <summary>
    /// A cluster set of <c>servers.sh</c> (<c>RR_SERVERS_SET=gr</c>, ...): nodes from <c>RR_&lt;SET&gt;_&lt;FLAVOR&gt;_NODES</c>, what
    /// <c>RR_SERVERS_SET=&lt;set&gt; servers.sh env</c> prints. No default: a missing variable is an error that says how to get it.
    /// </summary>
    /// <param name="set">The set, e.g. <c>gr</c>.</param>
    /// <param name="flavor"><see cref="MariaDb"/> or <see cref="MySql"/>.</param>
    /// <returns>The set's configuration.</returns>
    /// <exception cref="InvalidOperationException">The variable is not set.</exception>
    public static TopologyConfig LoadClusterSet(string set, string flavor)
    {
        var name = $"RR_{set.ToUpperInvariant()}_{flavor.ToUpperInvariant()}_NODES";
        return Create(flavor, Env(name) ?? throw new InvalidOperationException(
            $"{name} is not set: start the set and export its variables with " +
            $"'RR_SERVERS_SET={set} scripts/servers/servers.sh start {flavor} && eval \"$(RR_SERVERS_SET={set} scripts/servers/servers.sh env)\"' (./build.sh test does both)."));
    }

    private static TopologyConfig Create(string flavor, string nodes)
    {
        return new TopologyConfig(
            flavor,
            nodes.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            Env("RR_USER") ?? "rr_app",
            Env("RR_PASSWORD") ?? "rr_app_pw",
            Env("RR_ADMIN_USER") ?? "rr_admin",
            Env("RR_ADMIN_PASSWORD") ?? "rr_admin_pw",
            Env("RR_DATABASE") ?? "rr_test");
    }

    /// <summary>The application user's connection string for one node.</summary>
    public string ConnectionString(string endpoint, string? extra = null) => Build(endpoint, User, Password, extra);

    /// <summary>The admin user's connection string for one node (lag injection, inspection).</summary>
    public string AdminConnectionString(string endpoint) => Build(endpoint, AdminUser, AdminPassword, null);

    private string Build(string endpoint, string user, string password, string? extra)
    {
        var (host, port) = Split(endpoint);
        var builder = new MySqlConnectionStringBuilder
        {
            Server = host,
            Port = port,
            UserID = user,
            Password = password,
            Database = Database,
            SslMode = MySqlSslMode.None,
            AllowPublicKeyRetrieval = true,   // MySQL 9.7 caching_sha2_password without TLS
            ConnectionTimeout = 5,
            DefaultCommandTimeout = 30,
        };
        return extra is null ? builder.ConnectionString : builder.ConnectionString + ";" + extra;
    }

    /// <summary>A loopback endpoint nobody listens on: connecting to it is refused at once (a replica that is down).</summary>
    public static string ClosedEndpoint()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return "127.0.0.1:" + ((System.Net.IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public static (string Host, uint Port) Split(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        return (endpoint[..colon], uint.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;
}
