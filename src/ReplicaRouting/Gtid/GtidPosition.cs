using System.Diagnostics.CodeAnalysis;

namespace ReplicaRouting;

/// <summary>
/// A replication position: what a reader must see (the GTIDs of a user's writes) or what a server has applied.
/// Immutable; the only kinds are <see cref="MySqlGtidSet"/> and <see cref="MariaDbGtidPosition"/>.
/// </summary>
/// <remarks>Equality is by content: two positions are equal when their canonical texts (<see cref="ToString"/>) are.</remarks>
public abstract class GtidPosition : IEquatable<GtidPosition>
{
    /// <summary>The longest text <see cref="TryParse"/> accepts; longer text never parses, so hostile input stays cheap.</summary>
    public const int MaxTextLength = 4096;

    // Closed hierarchy: routing decisions switch over exactly these two kinds.
    private protected GtidPosition()
    {
    }

    /// <summary>The server family this position belongs to.</summary>
    public abstract ServerFlavor Flavor { get; }

    /// <summary>True when the position holds no GTID: every server satisfies it.</summary>
    public abstract bool IsEmpty { get; }

    /// <summary>Whether a server whose executed position is <paramref name="serverPosition"/> has applied everything in this position.</summary>
    /// <param name="serverPosition">The server's position (MySQL: <c>@@global.gtid_executed</c>; MariaDB: <c>@@gtid_slave_pos</c> or <c>@@gtid_binlog_pos</c>).</param>
    /// <returns>
    /// MySQL: true when this set is a subset of <paramref name="serverPosition"/>. MariaDB: true when, for every domain of this
    /// position, <paramref name="serverPosition"/> has that domain with a sequence number at least as large (server ids are ignored,
    /// as <c>MASTER_GTID_WAIT</c> does). False when the flavors differ.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="serverPosition"/> is null.</exception>
    public abstract bool IsSatisfiedBy(GtidPosition serverPosition);

    /// <summary>The smallest position that requires everything this one and <paramref name="other"/> require.</summary>
    /// <param name="other">A position of the same flavor.</param>
    /// <returns>
    /// MySQL: the union of the sets. MariaDB: per domain the larger sequence number, with the server id of that entry (on equal
    /// sequence numbers this position's entry). This instance itself, without allocating, when <paramref name="other"/> adds nothing.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="other"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="other"/> has a different <see cref="Flavor"/>.</exception>
    public abstract GtidPosition Merge(GtidPosition other);

    /// <summary>The canonical text, in the server's own syntax; computed once and cached.</summary>
    /// <returns>MySQL: <c>uuid:1-7:9:tag:1-3,uuid2:…</c>. MariaDB: <c>0-1-5,1-2-9</c>. The empty string for an empty position.</returns>
    public abstract override string ToString();

    /// <summary>Whether <paramref name="other"/> holds the same GTIDs (same flavor, same canonical content).</summary>
    /// <param name="other">The position to compare with.</param>
    /// <returns>True when both positions have the same canonical text.</returns>
    public abstract bool Equals([NotNullWhen(true)] GtidPosition? other);

    /// <inheritdoc/>
    public sealed override bool Equals([NotNullWhen(true)] object? obj) => Equals(obj as GtidPosition);

    /// <summary>A hash of the canonical content, consistent with <see cref="Equals(GtidPosition)"/>.</summary>
    /// <returns>The hash code.</returns>
    public abstract override int GetHashCode();

    /// <summary>Parses a position as the server of <paramref name="flavor"/> prints it. Never throws.</summary>
    /// <param name="flavor">Which syntax to expect.</param>
    /// <param name="text">The text; whitespace around comma-separated elements is allowed, the empty string is the empty position.</param>
    /// <param name="position">The parsed position, or null when <paramref name="text"/> is not valid for <paramref name="flavor"/>.</param>
    /// <returns>True when <paramref name="text"/> is a valid position no longer than <see cref="MaxTextLength"/>.</returns>
    public static bool TryParse(ServerFlavor flavor, ReadOnlySpan<char> text, [NotNullWhen(true)] out GtidPosition? position) =>
        TryParseWithSeparator(flavor, text, ',', out position);

    /// <summary>Parses with <paramref name="separator"/> in place of the comma (a token carries <c>~</c>), so no decoded copy is made.</summary>
    internal static bool TryParseWithSeparator(ServerFlavor flavor, ReadOnlySpan<char> text, char separator, [NotNullWhen(true)] out GtidPosition? position)
    {
        position = flavor switch
        {
            ServerFlavor.MySql => MySqlGtidSet.TryParseCore(text, separator, out var set, out _) ? set : null,
            ServerFlavor.MariaDb => MariaDbGtidPosition.TryParseCore(text, separator, out var mariaDb, out _) ? mariaDb : null,
            _ => null,
        };
        return position is not null;
    }

    private protected ArgumentException FlavorMismatch(GtidPosition other, string paramName) =>
        new($"Cannot merge a {other.Flavor} position into a {Flavor} position.", paramName);

    /// <summary>
    /// Merges <paramref name="position"/> into a field shared between threads, without a lock: the field only grows
    /// (a position of another flavor replaces it, as after pointing a data source at other servers).
    /// </summary>
    internal static void MergeInto(ref GtidPosition? shared, GtidPosition position)
    {
        while (true)
        {
            var current = Volatile.Read(ref shared);
            var next = current is null || current.Flavor != position.Flavor ? position : current.Merge(position);
            if (ReferenceEquals(next, current) || Interlocked.CompareExchange(ref shared, next, current) == current)
                return;
        }
    }
}
