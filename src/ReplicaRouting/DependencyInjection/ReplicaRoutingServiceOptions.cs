namespace ReplicaRouting;

/// <summary>
/// Everything <c>AddReplicaRouting</c> needs, bindable from one configuration section (by convention <c>ReplicaRouting</c>):
/// the servers, the routing options and how the consistency token travels over HTTP.
/// </summary>
/// <example>
/// <code>
/// "ReplicaRouting": {
///   "Primary": "Server=db1;User ID=app;Password=…;Database=shop",
///   "Replicas": [ "Server=db2;…", "Server=db3;…" ],
///   "Routing": { "Consistency": "ReadYourWrites", "CausalReadTimeout": "00:00:01", "TokenLifetime": "00:05:00" },
///   "Http": { "HeaderName": "X-Consistency-Token", "CookieName": "rr-consistency", "UseCookie": true }
/// }
/// </code>
/// </example>
public sealed class ReplicaRoutingServiceOptions
{
    /// <summary>Gets or sets the MySqlConnector connection string of the primary (writable) server. Required.</summary>
    /// <value>The default value is <see langword="null"/>, which fails start-up validation.</value>
    public string? Primary { get; set; }

    /// <summary>Gets the MySqlConnector connection strings of the read replicas, in order (configuration keys <c>Replicas:0</c>, <c>Replicas:1</c>, …).</summary>
    /// <value>The default value is an empty list: every command then runs on the primary.</value>
    public IList<string> Replicas { get; } = [];

    /// <summary>Gets how commands are routed (configuration section <c>Routing</c>, the properties of <see cref="ReplicaRoutingOptions"/>).</summary>
    /// <value>The default value is a <see cref="ReplicaRoutingOptions"/> with its defaults.</value>
    public ReplicaRoutingOptions Routing { get; } = new();

    /// <summary>Gets how the consistency token travels in HTTP requests and responses (configuration section <c>Http</c>; used by <c>ReplicaRouting.AspNetCore</c>).</summary>
    /// <value>The default value is a <see cref="ReplicaRoutingHttpOptions"/> with its defaults.</value>
    public ReplicaRoutingHttpOptions Http { get; } = new();
}
