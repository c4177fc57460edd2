namespace ReplicaRouting;

/// <summary>Where a command was sent.</summary>
public enum RouteTarget
{
    /// <summary>The primary (the writable node).</summary>
    Primary,

    /// <summary>A read replica.</summary>
    Replica,
}
