namespace ReplicaRouting.Internal;

/// <summary>
/// The data sources of connections created from a connection string, one per distinct string, shared like MySqlConnector
/// shares a pool between equal strings. A string is looked up as given first, then by its normalized form, so strings that
/// differ only in key spelling, order or spacing share one data source. Cached data sources live for the process (their
/// pools and topology monitors with them); <see cref="ReplicaRoutingConnection.ClearAllPools"/> empties their pools.
/// </summary>
internal static class DataSourceCache
{
    private static readonly Lock s_lock = new();
    private static readonly Dictionary<string, Entry> s_byString = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, Entry> s_byNormalized = new(StringComparer.Ordinal);

    /// <summary>One cached data source and what its connections report about their string once open.</summary>
    internal sealed record Entry(ReplicaRoutingDataSource DataSource, string ConnectionStringWithoutPassword);

    /// <summary>The shared data source for <paramref name="connectionString"/>, built on first use.</summary>
    /// <exception cref="ArgumentException">A key of the string is unknown or has a bad value; the message names it.</exception>
    public static Entry Get(string connectionString)
    {
        lock (s_lock)
        {
            if (s_byString.TryGetValue(connectionString, out var known))
                return known;
        }

        // Parsed and checked outside the lock; only the first of two racing threads builds the data source.
        var parsed = new ReplicaRoutingConnectionStringBuilder(connectionString);
        var normalized = parsed.NormalizedForm();
        lock (s_lock)
        {
            if (!s_byNormalized.TryGetValue(normalized, out var entry))
            {
                entry = new Entry(parsed.BuildDataSource(), parsed.ConnectionStringWithoutPassword());
                s_byNormalized.Add(normalized, entry);
            }

            s_byString[connectionString] = entry;
            return entry;
        }
    }

    /// <summary>Empties every cached data source's pools: idle connections are closed, busy ones when they are returned.</summary>
    public static async Task ClearPoolsAsync()
    {
        Entry[] entries;
        lock (s_lock)
            entries = [.. s_byNormalized.Values];
        foreach (var entry in entries)
        {
            foreach (var node in entry.DataSource.Configuration.Nodes)
                await node.ResetPoolAsync().ConfigureAwait(false);
        }
    }
}
