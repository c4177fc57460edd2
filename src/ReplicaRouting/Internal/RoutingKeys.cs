using System.Globalization;

namespace ReplicaRouting.Internal;

/// <summary>
/// The routing keys of the connection-string form: each one's canonical name, how its text is read, and which
/// <see cref="ReplicaRoutingOptions"/> property it sets. Values are checked in two steps: the form here (a number, a
/// name, a list), the range by <see cref="RoutingConfiguration.Check"/> (the one validation of options).
/// </summary>
internal static class RoutingKeys
{
    public const string Replicas = "Replicas";
    public const string ReadConsistency = "Read Consistency";
    public const string ReadYourWrites = "Read Your Writes";
    public const string CausalReadTimeout = "Causal Read Timeout";
    public const string PrimaryAfterWriteWindow = "Primary After Write Window";
    public const string SessionlessReads = "Sessionless Reads";
    public const string CausalReadPolicy = "Causal Read Policy";
    public const string CausalWaitBudget = "Causal Wait Budget";
    public const string ClusterId = "Cluster Id";
    public const string TokenLifetime = "Token Lifetime";
    public const string ReplicaSelection = "Replica Selection";
    public const string FailedReplicaBackoff = "Failed Replica Backoff";
    public const string MaxReplicaLag = "Max Replica Lag";
    public const string MaxStaleness = "Max Staleness";
    public const string TopologyMonitor = "Topology Monitor";
    public const string TopologyProbeInterval = "Topology Probe Interval";
    public const string TopologyProbeTimeout = "Topology Probe Timeout";
    public const string HeartbeatTable = "Heartbeat Table";
    public const string WriteHeartbeat = "Write Heartbeat";
    public const string HeartbeatInterval = "Heartbeat Interval";
    public const string MaxConcurrentCausalWaits = "Max Concurrent Causal Waits";
    public const string MaxConcurrentPrimaryFallbacks = "Max Concurrent Primary Fallbacks";

    private enum Form : byte
    {
        Hosts,
        Seconds,
        Boolean,
        Text,
        Consistency,
        Strategy,
        Selection,
        Sessionless,
        Policy,
        Count,
    }

    /// <summary>Canonical key → (form, the options property it sets, or null for <see cref="Replicas"/>).</summary>
    private static readonly Dictionary<string, (Form Form, string? Option)> s_keys = new(StringComparer.OrdinalIgnoreCase)
    {
        [Replicas] = (Form.Hosts, null),
        [ReadConsistency] = (Form.Consistency, nameof(ReplicaRoutingOptions.Consistency)),
        [ReadYourWrites] = (Form.Strategy, nameof(ReplicaRoutingOptions.ReadYourWrites)),
        [CausalReadTimeout] = (Form.Seconds, nameof(ReplicaRoutingOptions.CausalReadTimeout)),
        [PrimaryAfterWriteWindow] = (Form.Seconds, nameof(ReplicaRoutingOptions.PrimaryAfterWriteWindow)),
        [SessionlessReads] = (Form.Sessionless, nameof(ReplicaRoutingOptions.SessionlessReads)),
        [CausalReadPolicy] = (Form.Policy, nameof(ReplicaRoutingOptions.CausalReadPolicy)),
        [CausalWaitBudget] = (Form.Seconds, nameof(ReplicaRoutingOptions.CausalWaitBudget)),
        [ClusterId] = (Form.Text, nameof(ReplicaRoutingOptions.ClusterId)),
        [TokenLifetime] = (Form.Seconds, nameof(ReplicaRoutingOptions.TokenLifetime)),
        [ReplicaSelection] = (Form.Selection, nameof(ReplicaRoutingOptions.ReplicaSelection)),
        [FailedReplicaBackoff] = (Form.Seconds, nameof(ReplicaRoutingOptions.FailedReplicaBackoff)),
        [MaxReplicaLag] = (Form.Seconds, nameof(ReplicaRoutingOptions.MaxReplicaLag)),
        [MaxStaleness] = (Form.Seconds, nameof(ReplicaRoutingOptions.MaxStaleness)),
        [TopologyMonitor] = (Form.Boolean, nameof(ReplicaRoutingOptions.TopologyMonitor)),
        [TopologyProbeInterval] = (Form.Seconds, nameof(ReplicaRoutingOptions.TopologyProbeInterval)),
        [TopologyProbeTimeout] = (Form.Seconds, nameof(ReplicaRoutingOptions.TopologyProbeTimeout)),
        [HeartbeatTable] = (Form.Text, nameof(ReplicaRoutingOptions.HeartbeatTable)),
        [WriteHeartbeat] = (Form.Boolean, nameof(ReplicaRoutingOptions.WriteHeartbeat)),
        [HeartbeatInterval] = (Form.Seconds, nameof(ReplicaRoutingOptions.HeartbeatInterval)),
        [MaxConcurrentCausalWaits] = (Form.Count, nameof(ReplicaRoutingOptions.MaxConcurrentCausalWaits)),
        [MaxConcurrentPrimaryFallbacks] = (Form.Count, nameof(ReplicaRoutingOptions.MaxConcurrentPrimaryFallbacks)),
    };

    /// <summary>Each key also answers to its name without spaces (<c>ReadConsistency</c>), as MySqlConnector's keys do.</summary>
    private static readonly Dictionary<string, string> s_canonical = s_keys.Keys
        .SelectMany(k => new[] { (Alias: k, Key: k), (Alias: k.Replace(" ", "", StringComparison.Ordinal), Key: k) })
        .DistinctBy(p => p.Alias, StringComparer.OrdinalIgnoreCase)
        .ToDictionary(p => p.Alias, p => p.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every canonical routing key.</summary>
    public static IEnumerable<string> All => s_keys.Keys;

    /// <summary>The canonical name of a routing key, or null when <paramref name="keyword"/> is not one.</summary>
    public static string? Canonical(string keyword) => s_canonical.GetValueOrDefault(keyword.Trim());

    /// <summary>
    /// The value of <paramref name="key"/> (canonical) in its normalized text form; a malformed or out-of-range value fails
    /// with an <see cref="ArgumentException"/> that names the key.
    /// </summary>
    public static string Normalize(string key, object value)
    {
        var text = (value is IFormattable formattable ? formattable.ToString(null, CultureInfo.InvariantCulture) : value.ToString() ?? "").Trim();
        var (form, option) = s_keys[key];
        var normalized = form switch
        {
            Form.Hosts => NormalizeHosts(key, text),
            Form.Seconds => value is TimeSpan span ? Seconds(span) : Seconds(ParseSeconds(key, text)),
            Form.Boolean => ParseBoolean(key, text) ? "true" : "false",
            Form.Text => text.Length > 0 ? text : throw Invalid(key, "must not be empty"),
            Form.Consistency => EnumName<ReplicaRouting.ReadConsistency>(key, text),
            Form.Strategy => EnumName<ReadYourWritesStrategy>(key, text),
            Form.Selection => EnumName<ReplicaSelectionPolicy>(key, text),
            Form.Sessionless => EnumName<ReplicaRouting.SessionlessReads>(key, text),
            Form.Policy => EnumName<ReplicaRouting.CausalReadPolicy>(key, text),
            Form.Count => ParseCount(key, text).ToString(CultureInfo.InvariantCulture),
            _ => throw new InvalidOperationException(),
        };

        // The option's own rules (ranges, identifier forms), checked on that option alone; the rules that tie two options
        // together are checked when the whole string is used (see ToOptions).
        if (option is not null && form != Form.Boolean)
        {
            var options = new ReplicaRoutingOptions();
            Apply(options, key, normalized);
            foreach (var (name, message, _) in RoutingConfiguration.Check(options, prefix: ""))
            {
                if (name == option)
                    throw new ArgumentException($"The connection string key '{key}' is invalid: {message}", "keyword");
            }
        }

        return normalized;
    }

    /// <summary>Sets the option that <paramref name="key"/> (canonical; its value normalized) maps onto.</summary>
    public static void Apply(ReplicaRoutingOptions options, string key, string value)
    {
        switch (key)
        {
            case ReadConsistency: options.Consistency = Enum.Parse<ReplicaRouting.ReadConsistency>(value); break;
            case ReadYourWrites: options.ReadYourWrites = Enum.Parse<ReadYourWritesStrategy>(value); break;
            case CausalReadTimeout: options.CausalReadTimeout = ToTimeSpan(value); break;
            case PrimaryAfterWriteWindow: options.PrimaryAfterWriteWindow = ToTimeSpan(value); break;
            case SessionlessReads: options.SessionlessReads = Enum.Parse<ReplicaRouting.SessionlessReads>(value); break;
            case CausalReadPolicy: options.CausalReadPolicy = Enum.Parse<ReplicaRouting.CausalReadPolicy>(value); break;
            case CausalWaitBudget: options.CausalWaitBudget = ToTimeSpan(value); break;
            case ClusterId: options.ClusterId = value; break;
            case TokenLifetime: options.TokenLifetime = ToTimeSpan(value); break;
            case ReplicaSelection: options.ReplicaSelection = Enum.Parse<ReplicaSelectionPolicy>(value); break;
            case FailedReplicaBackoff: options.FailedReplicaBackoff = ToTimeSpan(value); break;
            case MaxReplicaLag: options.MaxReplicaLag = ToTimeSpan(value); break;
            case MaxStaleness: options.MaxStaleness = ToTimeSpan(value); break;
            case TopologyMonitor: options.TopologyMonitor = bool.Parse(value); break;
            case TopologyProbeInterval: options.TopologyProbeInterval = ToTimeSpan(value); break;
            case TopologyProbeTimeout: options.TopologyProbeTimeout = ToTimeSpan(value); break;
            case HeartbeatTable: options.HeartbeatTable = value; break;
            case WriteHeartbeat: options.WriteHeartbeat = bool.Parse(value); break;
            case HeartbeatInterval: options.HeartbeatInterval = ToTimeSpan(value); break;
            case MaxConcurrentCausalWaits: options.MaxConcurrentCausalWaits = int.Parse(value, CultureInfo.InvariantCulture); break;
            case MaxConcurrentPrimaryFallbacks: options.MaxConcurrentPrimaryFallbacks = int.Parse(value, CultureInfo.InvariantCulture); break;
        }
    }

    /// <summary>The connection-string key that sets the options property <paramref name="option"/>.</summary>
    public static string KeyOf(string option) => s_keys.First(k => k.Value.Option == option).Key;

    /// <summary>Splits a normalized <see cref="Replicas"/> value into hosts and ports (null: the primary's port).</summary>
    public static IEnumerable<(string Host, uint? Port)> Hosts(string value)
    {
        foreach (var entry in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            yield return SplitHost(entry) ?? throw new InvalidOperationException("Replicas was normalized.");
    }

    public static TimeSpan ToTimeSpan(string seconds) => TimeSpan.FromSeconds(double.Parse(seconds, CultureInfo.InvariantCulture));

    public static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);

    private static TimeSpan ParseSeconds(string key, string text)
    {
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds))
            throw Invalid(key, $"must be a number of seconds such as 5 or 0.25 (it is '{text}')");
        try
        {
            return TimeSpan.FromSeconds(seconds);
        }
        catch (OverflowException)
        {
            throw Invalid(key, $"is out of range (it is {text} seconds)");
        }
    }

    private static int ParseCount(string key, string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count)
            ? count
            : throw Invalid(key, $"must be a whole number such as 25 (it is '{text}')");

    /// <summary>The spellings MySqlConnector accepts for its own boolean keys.</summary>
    private static bool ParseBoolean(string key, string text) => text.ToUpperInvariant() switch
    {
        "TRUE" or "YES" or "ON" or "1" => true,
        "FALSE" or "NO" or "OFF" or "0" => false,
        _ => throw Invalid(key, $"must be true or false (it is '{text}')"),
    };

    private static string EnumName<T>(string key, string text)
        where T : struct, Enum
    {
        foreach (var name in Enum.GetNames<T>())
        {
            if (string.Equals(name, text, StringComparison.OrdinalIgnoreCase))
                return name;
        }

        throw Invalid(key, $"must be one of {string.Join(", ", Enum.GetNames<T>())} (it is '{text}')");
    }

    private static string NormalizeHosts(string key, string text)
    {
        var hosts = new List<string>();
        foreach (var entry in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (SplitHost(entry) is not var (host, port))
                throw Invalid(key, $"must be a comma-separated list of host or host:port (port 1-65535; [IPv6]:port), and '{entry}' is not one");
            hosts.Add(port is null ? entry : $"{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{port.Value.ToString(CultureInfo.InvariantCulture)}");
        }

        return text.Length == 0 ? "" : string.Join(",", hosts);
    }

    /// <summary><c>host</c>, <c>host:port</c>, <c>[v6]:port</c> or a bare IPv6 address; null when malformed.</summary>
    private static (string Host, uint? Port)? SplitHost(string entry)
    {
        if (entry.Length == 0)
            return null;
        string host;
        string? port = null;
        if (entry[0] == '[')
        {
            var close = entry.IndexOf(']', StringComparison.Ordinal);
            if (close < 2)
                return null;
            host = entry[1..close];
            var rest = entry[(close + 1)..];
            if (rest.Length > 0)
            {
                if (rest[0] != ':')
                    return null;
                port = rest[1..];
            }
        }
        else if (entry.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0 && entry.LastIndexOf(':') == colon)
        {
            (host, port) = (entry[..colon], entry[(colon + 1)..]);
        }
        else
        {
            host = entry;   // a name, or a bare IPv6 address (several colons, no port)
        }

        if (host.Length == 0 || host.Any(c => char.IsWhiteSpace(c) || c is ';' or '=' or '[' or ']'))
            return null;
        if (port is null)
            return (host, null);
        return uint.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 65535 ? (host, number) : null;
    }

    private static ArgumentException Invalid(string key, string problem) =>
        new($"The connection string key '{key}' {problem}.", "keyword");
}
