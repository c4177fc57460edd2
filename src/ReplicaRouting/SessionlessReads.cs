namespace ReplicaRouting;

/// <summary>What a read outside any routing session (no ambient or bound <see cref="RoutingSession"/>) must see.</summary>
public enum SessionlessReads
{
    /// <summary>
    /// Every write this data source made outside a session, on any of its connections (the default): a script, a console
    /// app or a test fixture that writes on one connection and reads on another reads what it wrote.
    /// </summary>
    DataSource,

    /// <summary>Only the writes of the reading connection itself (reads of other connections may miss them).</summary>
    Connection,
}
