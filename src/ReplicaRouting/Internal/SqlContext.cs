namespace ReplicaRouting.Internal;

/// <summary>
/// What the classifier knows about the servers it classifies for: their flavor and version(s), which decide how
/// versioned comments read, and the stored functions that may modify data. Immutable; a data source swaps in a new one
/// as it learns more.
/// </summary>
internal sealed class SqlContext
{
    private readonly ServerReading[] _readings;

    private SqlContext(ServerReading[] readings, RoutineCatalog routines)
    {
        _readings = readings;
        Routines = routines;
    }

    /// <summary>Nothing probed yet: any versioned comment could read either way, so it takes the stronger verdict.</summary>
    public static SqlContext Unknown { get; } = new([], RoutineCatalog.Empty);

    /// <summary>The servers' readings of versioned comments: one per distinct (flavor, version); empty when unknown.</summary>
    public ReadOnlySpan<ServerReading> Readings => _readings;

    /// <summary>The stored functions known to the classifier.</summary>
    public RoutineCatalog Routines { get; }

    /// <summary>One server, as <c>MySqlConnection.ServerVersion</c> reports it (e.g. <c>9.7.4</c>, <c>10.11.19-MariaDB-log</c>).</summary>
    public static SqlContext For(ServerFlavor flavor, string serverVersion) => Unknown.WithServer(flavor, serverVersion);

    /// <summary>This context with one more server; the same instance when its reading is already known.</summary>
    public SqlContext WithServer(ServerFlavor flavor, string serverVersion)
    {
        var reading = new ServerReading(flavor, ServerReading.ParseVersion(serverVersion));
        return reading.Version == 0 || _readings.Contains(reading) ? this : new SqlContext([.. _readings, reading], Routines);
    }

    /// <summary>This context with <paramref name="routines"/> as its stored functions.</summary>
    public SqlContext WithRoutines(RoutineCatalog routines) =>
        ReferenceEquals(routines, Routines) ? this : new SqlContext(_readings, routines);
}

/// <summary>
/// How one server reads versioned comments: its flavor and its version as <c>Mmmpp</c> (9.7.4 → 90704, 10.11.19 →
/// 101119). The default (version 0) is the unknown server, for which every versioned comment is ambiguous.
/// </summary>
internal readonly record struct ServerReading(ServerFlavor Flavor, int Version)
{
    /// <summary>
    /// <c>major.minor.patch</c> as <c>major*10000 + minor*100 + patch</c>, from the start of a version string (MariaDB's
    /// old <c>5.5.5-</c> prefix skipped); 0 when it does not start with a version.
    /// </summary>
    public static int ParseVersion(string serverVersion)
    {
        var text = serverVersion.AsSpan();
        if (text.StartsWith("5.5.5-") && text.Contains("MariaDB", StringComparison.OrdinalIgnoreCase))
            text = text[6..];

        var version = 0;
        for (var part = 0; part < 3; part++)
        {
            var digits = 0;
            var value = 0;
            while (digits < text.Length && char.IsAsciiDigit(text[digits]) && digits < 4)
                value = (value * 10) + (text[digits++] - '0');
            if (digits == 0)
                return part == 0 ? 0 : version * (part == 1 ? 10000 : 100);
            version = (version * 100) + Math.Min(value, 99);
            text = text[digits..];
            if (part < 2 && (text.IsEmpty || text[0] != '.'))
                return version * (part == 0 ? 10000 : 100);
            if (part < 2)
                text = text[1..];
        }

        return version;
    }
}
