using System.Globalization;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// The machine-readable <c>RESULT …</c> line and the percentile behind its read times, shared by every story that
/// prints one (the ADO.NET <see cref="OrderStory"/> and the demo's web flow), so that all of them read the same way.
/// </summary>
public static class ResultLine
{
    /// <summary>
    /// Formats exactly <c>RESULT flavor=… mode=… pairs=… stale=… replica_share=… read_p50_ms=… read_p99_ms=…</c>
    /// (invariant culture, two decimals for the share and the times).
    /// </summary>
    /// <param name="flavor"><c>mariadb</c>, <c>mysql</c>, or <c>mysql-gr</c> (the Group Replication set).</param>
    /// <param name="mode">The mode's name: lower-case letters, digits and hyphens (e.g. <c>wait-for-gtid</c>, <c>web-eventual</c>).</param>
    /// <param name="pairs">How many write→read pairs ran.</param>
    /// <param name="stale">How many reads did not find what had just been written.</param>
    /// <param name="replicaShare">The share of reads a replica answered, 0 to 1.</param>
    /// <param name="readP50Milliseconds">The median read time.</param>
    /// <param name="readP99Milliseconds">The 99th percentile read time.</param>
    /// <returns>The line, without a line break.</returns>
    /// <exception cref="ArgumentException">An unknown flavor, or a mode that would not parse back as one <c>key=value</c> field.</exception>
    public static string Format(string flavor, string mode, int pairs, int stale, double replicaShare, double readP50Milliseconds, double readP99Milliseconds)
    {
        if (flavor is not ("mariadb" or "mysql" or "mysql-gr"))
            throw new ArgumentException($"Unknown flavor '{flavor}': expected 'mariadb', 'mysql' or 'mysql-gr'.", nameof(flavor));
        if (string.IsNullOrEmpty(mode) || !mode.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-'))
            throw new ArgumentException($"Invalid mode '{mode}': expected lower-case letters, digits and hyphens.", nameof(mode));

        return string.Create(
            CultureInfo.InvariantCulture,
            $"RESULT flavor={flavor} mode={mode} pairs={pairs} stale={stale} replica_share={replicaShare:F2} read_p50_ms={readP50Milliseconds:F2} read_p99_ms={readP99Milliseconds:F2}");
    }

    /// <summary>The nearest-rank percentile of values sorted in ascending order (0 when there is none).</summary>
    /// <param name="sorted">The values, sorted ascending.</param>
    /// <param name="p">The percentile as a fraction, e.g. 0.99.</param>
    /// <returns>The value at that rank.</returns>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        return sorted.Count == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Count) - 1, 0, sorted.Count - 1)];
    }
}
