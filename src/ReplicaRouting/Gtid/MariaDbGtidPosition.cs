using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace ReplicaRouting;

/// <summary>
/// A MariaDB GTID position, as <c>@@gtid_binlog_pos</c>, <c>@@gtid_slave_pos</c> and <c>@@last_gtid</c> print it: at most one
/// <c>domain-server-seq</c> per replication domain, e.g. <c>0-1-5,1-2-9</c>.
/// </summary>
/// <remarks>Canonical text (<see cref="ToString"/>): entries sorted by domain, joined by <c>,</c> without spaces.</remarks>
public sealed class MariaDbGtidPosition : GtidPosition
{
    private readonly Entry[] _entries;   // sorted by domain, one per domain
    private string? _text;

    private MariaDbGtidPosition(Entry[] entries) => _entries = entries;

    /// <summary>The position with no GTID (what a fresh server reports: the empty string).</summary>
    public static MariaDbGtidPosition Empty { get; } = new([]);

    /// <inheritdoc/>
    public override ServerFlavor Flavor => ServerFlavor.MariaDb;

    /// <inheritdoc/>
    public override bool IsEmpty => _entries.Length == 0;

    /// <summary>Parses a GTID position as MariaDB prints it. Never throws.</summary>
    /// <param name="text">
    /// Comma-separated <c>domain-server-seq</c> entries (domain and server id: 32-bit unsigned, seq: 64-bit unsigned), at most
    /// one per domain. Whitespace around entries is allowed; the empty string is <see cref="Empty"/>.
    /// </param>
    /// <param name="position">The parsed position, or null when <paramref name="text"/> is not valid.</param>
    /// <returns>True when <paramref name="text"/> is a valid position no longer than <see cref="GtidPosition.MaxTextLength"/>.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, [NotNullWhen(true)] out MariaDbGtidPosition? position) =>
        TryParseCore(text, ',', out position, out _);

    /// <summary>Parses a GTID position as MariaDB prints it.</summary>
    /// <param name="text">The text; see <see cref="TryParse(ReadOnlySpan{char}, out MariaDbGtidPosition?)"/>.</param>
    /// <returns>The parsed position.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="text"/> is not a valid position; the message says what is wrong and where.</exception>
    public static MariaDbGtidPosition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParseCore(text, ',', out var position, out var error)
            ? position
            : throw new FormatException($"Invalid MariaDB GTID position: {error}.");
    }

    /// <inheritdoc/>
    public override bool IsSatisfiedBy(GtidPosition serverPosition)
    {
        ArgumentNullException.ThrowIfNull(serverPosition);
        if (serverPosition is not MariaDbGtidPosition server)
            return false;

        var theirs = server._entries;
        var j = 0;
        foreach (var entry in _entries)
        {
            // Both sides are sorted by domain: one forward walk. Server ids are ignored, as MASTER_GTID_WAIT ignores them.
            while (j < theirs.Length && theirs[j].Domain < entry.Domain)
                j++;
            if (j == theirs.Length || theirs[j].Domain != entry.Domain || theirs[j].Sequence < entry.Sequence)
                return false;
        }

        return true;
    }

    /// <inheritdoc/>
    public override GtidPosition Merge(GtidPosition other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other is not MariaDbGtidPosition position)
            throw FlavorMismatch(other, nameof(other));

        // On equal sequence numbers this position's entry wins, so "other is satisfied by this" means "other adds nothing".
        if (position.IsSatisfiedBy(this))
            return this;
        if (IsEmpty)
            return position;

        ReadOnlySpan<Entry> a = _entries, b = position._entries;
        var count = 0;
        for (int i = 0, j = 0; i < a.Length || j < b.Length; count++)
        {
            var order = i == a.Length ? 1 : j == b.Length ? -1 : a[i].Domain.CompareTo(b[j].Domain);
            i += order <= 0 ? 1 : 0;
            j += order >= 0 ? 1 : 0;
        }

        var merged = new Entry[count];
        for (int i = 0, j = 0, k = 0; k < merged.Length; k++)
        {
            var order = i == a.Length ? 1 : j == b.Length ? -1 : a[i].Domain.CompareTo(b[j].Domain);
            merged[k] = order < 0 ? a[i] : order > 0 ? b[j] : b[j].Sequence > a[i].Sequence ? b[j] : a[i];
            i += order <= 0 ? 1 : 0;
            j += order >= 0 ? 1 : 0;
        }

        return new MariaDbGtidPosition(merged);
    }

    /// <inheritdoc/>
    public override string ToString() => _text ??= Format();

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] GtidPosition? other) =>
        ReferenceEquals(this, other) || (other is MariaDbGtidPosition position && _entries.AsSpan().SequenceEqual(position._entries));

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var entry in _entries)
            hash.Add(entry);
        return hash.ToHashCode();
    }

    /// <summary>Parses with an arbitrary element separator; <see cref="ConsistencyToken"/> carries <c>~</c> instead of <c>,</c>.</summary>
    internal static bool TryParseCore(ReadOnlySpan<char> text, char separator, [NotNullWhen(true)] out MariaDbGtidPosition? position, out GtidParseError error)
    {
        position = null;
        if (text.Length > MaxTextLength)
        {
            error = new(GtidParseProblem.TooLong, MaxTextLength);
            return false;
        }

        if (GtidText.IsBlank(text))
        {
            position = Empty;
            error = default;
            return true;
        }

        // Validate into pooled scratch first, so that rejected text allocates nothing.
        var scratch = ArrayPool<Entry>.Shared.Rent(text.Count(separator) + 1);
        try
        {
            var count = 0;
            error = default;
            for (var next = 0; next >= 0;)
            {
                GtidText.NextElement(text, separator, next, out var start, out var end, out next);
                if (!TryReadEntry(text[..end], start, out scratch[count], out error))
                    return false;
                count++;
            }

            var entries = scratch.AsSpan(0, count);
            entries.Sort(static (x, y) => x.Domain.CompareTo(y.Domain));
            for (var i = 1; i < entries.Length; i++)
            {
                if (entries[i].Domain == entries[i - 1].Domain)
                {
                    // The server never prints a domain twice: such text was not produced by a server.
                    error = new(GtidParseProblem.DuplicateDomain, SecondOccurrence(text, separator, entries[i].Domain));
                    return false;
                }
            }

            position = new MariaDbGtidPosition(entries.ToArray());
            return true;
        }
        finally
        {
            ArrayPool<Entry>.Shared.Return(scratch);
        }
    }

    /// <summary>Where the second entry of <paramref name="domain"/> starts (error reporting only).</summary>
    private static int SecondOccurrence(ReadOnlySpan<char> text, char separator, uint domain)
    {
        var seen = false;
        for (var next = 0; next >= 0;)
        {
            GtidText.NextElement(text, separator, next, out var start, out var end, out next);
            if (TryReadEntry(text[..end], start, out var entry, out _) && entry.Domain == domain)
            {
                if (seen)
                    return start;
                seen = true;
            }
        }

        return 0;
    }

    /// <summary>Reads <c>domain-server-seq</c> from <paramref name="start"/> to the end of <paramref name="text"/>.</summary>
    private static bool TryReadEntry(ReadOnlySpan<char> text, int start, out Entry entry, out GtidParseError error)
    {
        entry = default;
        if (start == text.Length)
        {
            error = new(GtidParseProblem.EmptyElement, start);
            return false;
        }

        var index = start;
        if (!GtidText.TryReadNumber(text, ref index, uint.MaxValue, out var domain, out error)
            || !TryReadDash(text, ref index, out error)
            || !GtidText.TryReadNumber(text, ref index, uint.MaxValue, out var serverId, out error)
            || !TryReadDash(text, ref index, out error)
            || !GtidText.TryReadNumber(text, ref index, ulong.MaxValue, out var sequence, out error))
        {
            return false;
        }

        if (index != text.Length)
        {
            error = new(GtidParseProblem.UnexpectedCharacter, index);
            return false;
        }

        entry = new Entry((uint)domain, (uint)serverId, sequence);
        return true;
    }

    private static bool TryReadDash(ReadOnlySpan<char> text, ref int index, out GtidParseError error)
    {
        if (index < text.Length && text[index] == '-')
        {
            index++;
            error = default;
            return true;
        }

        error = new(GtidParseProblem.ExpectedDash, index);
        return false;
    }

    private string Format()
    {
        if (_entries.Length == 0)
            return string.Empty;

        var length = _entries.Length - 1;
        foreach (var entry in _entries)
            length += 2 + GtidText.CountDigits(entry.Domain) + GtidText.CountDigits(entry.ServerId) + GtidText.CountDigits(entry.Sequence);

        return string.Create(length, _entries, static (destination, entries) =>
        {
            var index = 0;
            foreach (var entry in entries)
            {
                if (index > 0)
                    destination[index++] = ',';
                GtidText.WriteNumber(destination, ref index, entry.Domain);
                destination[index++] = '-';
                GtidText.WriteNumber(destination, ref index, entry.ServerId);
                destination[index++] = '-';
                GtidText.WriteNumber(destination, ref index, entry.Sequence);
            }
        });
    }

    private readonly record struct Entry(uint Domain, uint ServerId, ulong Sequence);
}
