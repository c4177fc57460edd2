using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace ReplicaRouting;

/// <summary>
/// A MySQL GTID set, as <c>@@global.gtid_executed</c> prints it: per source UUID (and, since MySQL 8.3, per tag) a set of
/// transaction numbers, e.g. <c>3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5:7,4f2a…:1-3:batch:1-2</c>.
/// </summary>
/// <remarks>
/// Canonical text (<see cref="ToString"/>): UUIDs and tags in lowercase, one element per UUID, UUIDs sorted, untagged intervals
/// before the tags, tags sorted, intervals sorted and merged (<c>1-5:6-7</c> is <c>1-7</c>), a single number for a one-GTID
/// interval, elements joined by <c>,</c> without spaces.
/// </remarks>
public sealed class MySqlGtidSet : GtidPosition
{
    private const int UuidLength = 36;
    private const int MaxTagLength = 32;

    // Bounds of the direct parse, whose scratch is on the stack (16 bytes per interval); larger sets take the pooled parser.
    private const int MaxDirectIntervals = 256;
    private const int MaxDirectSources = 32;

    // Sorted by (Uuid, Tag); each source owns a non-empty run of _intervals, sorted, disjoint and non-adjacent.
    private readonly Source[] _sources;
    private readonly Interval[] _intervals;
    private string? _text;

    private MySqlGtidSet(Source[] sources, Interval[] intervals)
    {
        _sources = sources;
        _intervals = intervals;
    }

    /// <summary>The set with no GTID (what a fresh server reports: the empty string).</summary>
    public static MySqlGtidSet Empty { get; } = new([], []);

    /// <inheritdoc/>
    public override ServerFlavor Flavor => ServerFlavor.MySql;

    /// <inheritdoc/>
    public override bool IsEmpty => _sources.Length == 0;

    /// <summary>Parses a GTID set as MySQL prints it. Never throws.</summary>
    /// <param name="text">
    /// Comma-separated <c>uuid:interval[:interval…]</c>, <c>uuid:tag:intervals</c> or <c>uuid:1-5:tag:1-3</c> elements, where an
    /// interval is <c>n</c> or <c>n-m</c> (1 ≤ n ≤ m ≤ 2^63-1). Whitespace around elements is allowed; the empty string is
    /// <see cref="Empty"/>. UUIDs and tags are case-insensitive.
    /// </param>
    /// <param name="set">The parsed set, or null when <paramref name="text"/> is not valid.</param>
    /// <returns>True when <paramref name="text"/> is a valid set no longer than <see cref="GtidPosition.MaxTextLength"/>.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, [NotNullWhen(true)] out MySqlGtidSet? set) =>
        TryParseCore(text, ',', out set, out _);

    /// <summary>Parses a GTID set as MySQL prints it.</summary>
    /// <param name="text">The text; see <see cref="TryParse(ReadOnlySpan{char}, out MySqlGtidSet?)"/>.</param>
    /// <returns>The parsed set.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is null.</exception>
    /// <exception cref="FormatException"><paramref name="text"/> is not a valid GTID set; the message says what is wrong and where.</exception>
    public static MySqlGtidSet Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParseCore(text, ',', out var set, out var error)
            ? set
            : throw new FormatException($"Invalid MySQL GTID set: {error}.");
    }

    /// <inheritdoc/>
    public override bool IsSatisfiedBy(GtidPosition serverPosition)
    {
        ArgumentNullException.ThrowIfNull(serverPosition);
        return serverPosition is MySqlGtidSet server && IsSubsetOf(server);
    }

    /// <inheritdoc/>
    public override GtidPosition Merge(GtidPosition other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other is not MySqlGtidSet set)
            throw FlavorMismatch(other, nameof(other));

        if (set.IsSubsetOf(this))
            return this;
        return IsSubsetOf(set) ? set : Union(this, set);
    }

    /// <inheritdoc/>
    public override string ToString() => _text ??= Format();

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] GtidPosition? other)
    {
        if (ReferenceEquals(this, other))
            return true;
        if (other is not MySqlGtidSet set || set._sources.Length != _sources.Length)
            return false;

        for (var i = 0; i < _sources.Length; i++)
        {
            if (Compare(_sources[i], set._sources[i]) != 0 || _sources[i].Count != set._sources[i].Count)
                return false;
        }

        return _intervals.AsSpan().SequenceEqual(set._intervals);
    }

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var source in _sources)
        {
            hash.Add(source.Uuid);
            hash.Add(source.Tag);
        }

        foreach (var interval in _intervals)
        {
            hash.Add(interval.Start);
            hash.Add(interval.End);
        }

        return hash.ToHashCode();
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool IsSubsetOf(MySqlGtidSet other)
    {
        if (ReferenceEquals(this, other))
            return true;

        var theirs = other._sources;
        var j = 0;
        foreach (var source in _sources)
        {
            // Both source lists are sorted: one forward walk finds every match.
            while (j < theirs.Length && Compare(theirs[j], source) < 0)
                j++;
            if (j == theirs.Length || Compare(theirs[j], source) != 0)
                return false;
            if (!Contains(other.IntervalsOf(theirs[j]), IntervalsOf(source)))
                return false;
            j++;
        }

        return true;
    }

    /// <summary>Whether every interval of <paramref name="inner"/> lies inside <paramref name="outer"/> (both canonical).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool Contains(ReadOnlySpan<Interval> outer, ReadOnlySpan<Interval> inner)
    {
        var j = 0;
        for (var i = 0; i < inner.Length; i++)
        {
            var interval = inner[i];
            while (j < outer.Length && outer[j].End < interval.Start)
                j++;

            // Canonical intervals never touch, so a contained interval lies inside a single outer one.
            if (j == outer.Length || outer[j].Start > interval.Start || outer[j].End < interval.End)
                return false;

            // Sets with a shared history share runs of equal intervals (a required position and a replica's, mostly): after
            // two equal pairs in a row, one vectorized comparison skips the rest of the run. Every skipped outer interval ends
            // before the next inner one starts, so the walk resumes where it would have been.
            if (outer[j].Equals(interval) && i + 1 < inner.Length && j + 1 < outer.Length && outer[j + 1].Equals(inner[i + 1]))
            {
                var equal = MemoryMarshal.Cast<Interval, long>(inner[(i + 1)..]).CommonPrefixLength(MemoryMarshal.Cast<Interval, long>(outer[(j + 1)..])) / 2;
                i += equal;
                j += equal;
            }
        }

        return true;
    }

    private static MySqlGtidSet Union(MySqlGtidSet left, MySqlGtidSet right)
    {
        ReadOnlySpan<Source> a = left._sources, b = right._sources;
        var sourceCount = 0;
        for (int i = 0, j = 0; i < a.Length || j < b.Length; sourceCount++)
        {
            var order = i == a.Length ? 1 : j == b.Length ? -1 : Compare(a[i], b[j]);
            i += order <= 0 ? 1 : 0;
            j += order >= 0 ? 1 : 0;
        }

        var sources = new Source[sourceCount];
        var scratch = ArrayPool<Interval>.Shared.Rent(left._intervals.Length + right._intervals.Length);
        try
        {
            var intervalCount = 0;
            for (int i = 0, j = 0, s = 0; s < sources.Length; s++)
            {
                var order = i == a.Length ? 1 : j == b.Length ? -1 : Compare(a[i], b[j]);
                var key = order <= 0 ? a[i] : b[j];
                var first = intervalCount;
                if (order == 0)
                {
                    intervalCount = UnionInto(left.IntervalsOf(a[i]), right.IntervalsOf(b[j]), scratch, intervalCount);
                }
                else
                {
                    var only = order < 0 ? left.IntervalsOf(a[i]) : right.IntervalsOf(b[j]);
                    only.CopyTo(scratch.AsSpan(intervalCount));
                    intervalCount += only.Length;
                }

                sources[s] = new Source(key.Uuid, key.Tag, first, intervalCount - first);
                i += order <= 0 ? 1 : 0;
                j += order >= 0 ? 1 : 0;
            }

            return new MySqlGtidSet(sources, scratch.AsSpan(0, intervalCount).ToArray());
        }
        finally
        {
            ArrayPool<Interval>.Shared.Return(scratch);
        }
    }

    /// <summary>Writes the merged union of two canonical interval lists at <paramref name="count"/>; returns the new count.</summary>
    private static int UnionInto(ReadOnlySpan<Interval> a, ReadOnlySpan<Interval> b, Interval[] destination, int count)
    {
        var first = count;
        int i = 0, j = 0;
        while (i < a.Length || j < b.Length)
        {
            var next = j == b.Length || (i < a.Length && a[i].Start <= b[j].Start) ? a[i++] : b[j++];
            count = Append(destination, first, count, next);
        }

        return count;
    }

    /// <summary>Appends an interval that starts at or after the last one's start, merging when they overlap or touch.</summary>
    private static int Append(Interval[] destination, int first, int count, Interval next)
    {
        // Start ≥ 1, so Start - 1 cannot overflow; End may be long.MaxValue, so never compute End + 1.
        if (count > first && next.Start - 1 <= destination[count - 1].End)
        {
            var last = destination[count - 1];
            destination[count - 1] = new Interval(last.Start, Math.Max(last.End, next.End));
            return count;
        }

        destination[count] = next;
        return count + 1;
    }

    private ReadOnlySpan<Interval> IntervalsOf(in Source source) => _intervals.AsSpan(source.First, source.Count);

    private static int Compare(in Source x, in Source y)
    {
        var order = x.Uuid.CompareTo(y.Uuid);
        return order != 0 ? order : string.CompareOrdinal(x.Tag, y.Tag);
    }

    private string Format()
    {
        if (_sources.Length == 0)
            return string.Empty;

        var length = 0;
        for (var s = 0; s < _sources.Length; s++)
        {
            var source = _sources[s];
            if (s == 0 || source.Uuid != _sources[s - 1].Uuid)
                length += (s == 0 ? 0 : 1) + UuidLength;
            if (source.Tag.Length > 0)
                length += 1 + source.Tag.Length;
            foreach (var interval in IntervalsOf(source))
            {
                length += 1 + GtidText.CountDigits((ulong)interval.Start);
                if (interval.End != interval.Start)
                    length += 1 + GtidText.CountDigits((ulong)interval.End);
            }
        }

        return string.Create(length, this, static (destination, set) => set.WriteTo(destination));
    }

    private void WriteTo(Span<char> destination)
    {
        var index = 0;
        for (var s = 0; s < _sources.Length; s++)
        {
            var source = _sources[s];
            if (s == 0 || source.Uuid != _sources[s - 1].Uuid)
            {
                if (s > 0)
                    destination[index++] = ',';
                WriteUuid(destination.Slice(index, UuidLength), source.Uuid);
                index += UuidLength;
            }

            if (source.Tag.Length > 0)
            {
                destination[index++] = ':';
                source.Tag.CopyTo(destination[index..]);
                index += source.Tag.Length;
            }

            foreach (var interval in IntervalsOf(source))
            {
                destination[index++] = ':';
                GtidText.WriteNumber(destination, ref index, (ulong)interval.Start);
                if (interval.End != interval.Start)
                {
                    destination[index++] = '-';
                    GtidText.WriteNumber(destination, ref index, (ulong)interval.End);
                }
            }
        }
    }

    private static void WriteUuid(Span<char> destination, UInt128 uuid)
    {
        const string Hex = "0123456789abcdef";
        for (var i = UuidLength - 1; i >= 0; i--)
        {
            if (i is 8 or 13 or 18 or 23)
            {
                destination[i] = '-';
                continue;
            }

            destination[i] = Hex[(int)(uuid & 0xF)];
            uuid >>= 4;
        }
    }

    /// <summary>Reads the 36-character UUID at the start of <paramref name="text"/> (at least that long), hex digits in either case.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryReadUuid(ReadOnlySpan<char> text, out UInt128 uuid)
    {
        // A table lookup per digit and no branch: the digits and letters of a UUID come in no order a predictor can learn.
        text = text[..UuidLength];
        var invalid = (uint)((text[8] ^ '-') | (text[13] ^ '-') | (text[18] ^ '-') | (text[23] ^ '-'));
        var high = ReadHex(text[..8], 0, ref invalid);
        high = ReadHex(text.Slice(9, 4), high, ref invalid);
        high = ReadHex(text.Slice(14, 4), high, ref invalid);
        var low = ReadHex(text.Slice(19, 4), 0, ref invalid);
        low = ReadHex(text.Slice(24, 12), low, ref invalid);
        uuid = new UInt128(high, low);
        return invalid == 0;
    }

    /// <summary>Appends the hex digits of <paramref name="digits"/> to <paramref name="value"/>; sets bits of <paramref name="invalid"/> on any other character.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong ReadHex(ReadOnlySpan<char> digits, ulong value, ref uint invalid)
    {
        ReadOnlySpan<byte> nibbles = HexNibbles;
        foreach (var c in digits)
        {
            uint nibble = nibbles[(byte)c];
            invalid |= (uint)(c >> 8) | (nibble >> 4);
            value = (value << 4) | (nibble & 0xF);
        }

        return value;
    }

    /// <summary>The value of each hex digit among the characters below 256; 0xFF for every other character.</summary>
    private static ReadOnlySpan<byte> HexNibbles =>
    [
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
        0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
    ];

    private static bool IsTagStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsTagChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    /// <summary>Parses with an arbitrary element separator; <see cref="ConsistencyToken"/> carries <c>~</c> instead of <c>,</c>.</summary>
    internal static bool TryParseCore(ReadOnlySpan<char> text, char separator, [NotNullWhen(true)] out MySqlGtidSet? set, out GtidParseError error)
    {
        var progress = default(NoGtidParseProgress);
        return TryParseCore(text, separator, ref progress, out set, out error);
    }

    /// <summary>
    /// As <see cref="TryParseCore(ReadOnlySpan{char}, char, out MySqlGtidSet?, out GtidParseError)"/>, reporting how far it has
    /// read to <paramref name="progress"/> (not necessarily up to the end: the caller finishes its own pass).
    /// </summary>
    internal static bool TryParseCore<TProgress>(ReadOnlySpan<char> text, char separator, ref TProgress progress, [NotNullWhen(true)] out MySqlGtidSet? set, out GtidParseError error)
        where TProgress : struct, IGtidParseProgress
    {
        set = null;
        if (text.Length > MaxTextLength)
        {
            error = new(GtidParseProblem.TooLong, MaxTextLength);
            return false;
        }

        if (GtidText.IsBlank(text))
        {
            set = Empty;
            error = default;
            return true;
        }

        // Every interval and every tag follows a ':', so the colon count bounds every scratch buffer.
        var colons = text.Count(':');
        if (colons <= MaxDirectIntervals && TryParseDirect(text, separator, colons, ref progress, out set))
        {
            error = default;
            return true;
        }

        var parser = new Parser(text, ArrayPool<RawInterval>.Shared.Rent(colons), ArrayPool<RawKey>.Shared.Rent(colons), ArrayPool<TagSpan>.Shared.Rent(colons));
        error = default;
        try
        {
            for (var position = 0; position >= 0;)
            {
                GtidText.NextElement(text, separator, position, out var start, out var end, out position);
                if (!parser.TryReadElement(start, end, out error))
                    return false;
            }

            set = parser.Build();
            return true;
        }
        finally
        {
            ArrayPool<RawInterval>.Shared.Return(parser.Items);
            ArrayPool<RawKey>.Shared.Return(parser.Keys);
            ArrayPool<TagSpan>.Shared.Return(parser.Tags);
        }
    }

    /// <summary>
    /// Reads text that is already canonical apart from case and whitespace, and has no tags (what the servers print and tokens
    /// carry) straight into the result: no pooled scratch, no sort, no merge. False for anything else, valid or not, which then
    /// takes the general parser (that reports the errors); whatever this accepts, the general parser reads to an equal set.
    /// </summary>
    private static bool TryParseDirect<TProgress>(ReadOnlySpan<char> text, char separator, int colons, ref TProgress progress, [NotNullWhen(true)] out MySqlGtidSet? set)
        where TProgress : struct, IGtidParseProgress
    {
        set = null;
        var elements = text.Count(separator) + 1;
        if (elements > MaxDirectSources || colons < elements)
            return false;

        // Scratch on the stack, sized by the counts: every interval follows a ':' and every element is one UUID.
        Span<Interval> intervals = stackalloc Interval[colons];
        Span<UInt128> uuids = stackalloc UInt128[elements];
        Span<int> firsts = stackalloc int[elements + 1];
        if (!TryReadDirect(text, separator, intervals, uuids, firsts, ref progress, out var count))
            return false;

        var sources = new Source[elements];
        for (var i = 0; i < sources.Length; i++)
            sources[i] = new Source(uuids[i], string.Empty, firsts[i], firsts[i + 1] - firsts[i]);
        set = new MySqlGtidSet(sources, intervals[..count].ToArray());
        return true;
    }

    /// <summary>
    /// The loop of <see cref="TryParseDirect"/>: one UUID and its first interval index per element, the intervals. Compiled
    /// optimized from the first call (a token parse may be among a process's first few hundred, before code tiers up).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool TryReadDirect<TProgress>(
        ReadOnlySpan<char> text, char separator, Span<Interval> intervals, Span<UInt128> uuids, Span<int> firsts, ref TProgress progress, out int count)
        where TProgress : struct, IGtidParseProgress
    {
        // A local copy stays in registers; it is only written back on success (the caller's copy is consistent either way).
        var local = progress;
        count = 0;
        var source = 0;
        for (var position = 0; position >= 0; source++)
        {
            GtidText.NextElement(text, separator, position, out var start, out var end, out position);

            // Sorted and distinct UUIDs: one source each, already in canonical order.
            if (end - start <= UuidLength || !TryReadUuid(text[start..], out var uuid) || (source > 0 && uuid <= uuids[source - 1]))
                return false;

            uuids[source] = uuid;
            firsts[source] = count;
            var element = text[..end];
            var index = start + UuidLength;
            var previousEnd = -1L;
            do
            {
                // A tag is not a number: tagged text takes the general parser.
                if (element[index] != ':' || !TryReadShortNumber(element, ref index, out var low))
                    return false;
                var high = low;
                if (index < element.Length && element[index] == '-' && !TryReadShortNumber(element, ref index, out high))
                    return false;

                // Sorted, and neither overlapping nor touching the previous interval (the first one has previousEnd -1).
                if (low == 0 || high < low || low - 1 <= previousEnd)
                    return false;
                intervals[count++] = new Interval(low, high);
                previousEnd = high;
                local.Reached(text, index);
            }
            while (index < element.Length);
        }

        firsts[source] = count;
        progress = local;
        return true;
    }

    /// <summary>
    /// Skips the character at <paramref name="index"/> (a ':' or '-'), then reads 1 to 18 digits without a leading zero;
    /// false for anything else (no digit, a leading zero, 19 digits or more), which the general parser decides. Below 10^18
    /// a long cannot overflow, so the digit loop checks nothing but the digit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryReadShortNumber(ReadOnlySpan<char> text, ref int index, out long value)
    {
        var start = index + 1;
        var i = start;
        var result = 0L;
        while ((uint)i < (uint)text.Length)
        {
            var digit = (uint)(text[i] - '0');
            if (digit > 9)
                break;
            result = (result * 10) + digit;
            i++;
        }

        value = result;
        var length = i - start;
        index = i;
        return length is > 0 and <= 18 && (length == 1 || text[start] != '0');
    }

    /// <summary>One source of transactions: a server UUID plus a tag (<see cref="string.Empty"/> when untagged, else lowercase).</summary>
    private readonly struct Source(UInt128 uuid, string tag, int first, int count)
    {
        public readonly UInt128 Uuid = uuid;
        public readonly string Tag = tag;
        public readonly int First = first;
        public readonly int Count = count;
    }

    /// <summary>Inclusive range of transaction numbers, 1 ≤ Start ≤ End.</summary>
    private readonly struct Interval(long start, long end) : IEquatable<Interval>
    {
        public readonly long Start = start;
        public readonly long End = end;

        public bool Equals(Interval other) => Start == other.Start && End == other.End;

        public override bool Equals(object? obj) => obj is Interval other && Equals(other);

        public override int GetHashCode() => HashCode.Combine(Start, End);
    }

    /// <summary>A (uuid, tag) pair as read. Tag is 0 (untagged) or 1 + an index into the tag table, later the tag's rank.</summary>
    private readonly record struct RawKey(UInt128 Uuid, int Tag);

    /// <summary>An interval as read, before sorting. Key indexes the key table, later it is the key's canonical rank.</summary>
    private readonly struct RawInterval(int key, long start, long end)
    {
        public readonly int Key = key;
        public readonly long Start = start;
        public readonly long End = end;
    }

    private readonly record struct TagSpan(int Start, int Length);

    /// <summary>
    /// Collects the intervals of a text into pooled scratch (keys and tags in small side tables, so that the per-interval work is
    /// a few integer operations), then sorts, merges and copies them into exact arrays.
    /// </summary>
    private ref struct Parser(ReadOnlySpan<char> text, RawInterval[] items, RawKey[] keys, TagSpan[] tags)
    {
        private readonly ReadOnlySpan<char> _text = text;
        private int _itemCount;
        private int _keyCount;
        private int _tagCount;

        public readonly RawInterval[] Items = items;
        public readonly RawKey[] Keys = keys;
        public readonly TagSpan[] Tags = tags;

        public bool TryReadElement(int start, int end, out GtidParseError error)
        {
            if (start == end)
            {
                error = new(GtidParseProblem.EmptyElement, start);
                return false;
            }

            if (end - start < UuidLength || !TryReadUuid(_text[start..], out var uuid))
            {
                error = new(GtidParseProblem.InvalidUuid, start);
                return false;
            }

            var text = _text[..end];
            var index = start + UuidLength;
            var tag = 0;
            var key = -1;   // created with the group's first interval, so that every key owns at least one
            do
            {
                if (index == end || text[index] != ':')
                {
                    error = new(GtidParseProblem.ExpectedColon, index);
                    return false;
                }

                index++;
                if (index < end && IsTagStart(text[index]))
                {
                    if (tag != 0 && key < 0)
                    {
                        error = new(GtidParseProblem.TagWithoutIntervals, index);
                        return false;
                    }

                    var tagStart = index;
                    while (index < end && IsTagChar(text[index]))
                        index++;
                    if (index - tagStart > MaxTagLength)
                    {
                        error = new(GtidParseProblem.TagTooLong, tagStart);
                        return false;
                    }

                    tag = FindOrAddTag(new TagSpan(tagStart, index - tagStart));
                    key = -1;
                    continue;
                }

                if (!TryReadInterval(text, ref index, out var first, out var last, out error))
                    return false;
                if (key < 0)
                    key = FindOrAddKey(new RawKey(uuid, tag));
                Items[_itemCount++] = new RawInterval(key, first, last);
            }
            while (index < end);

            if (key < 0)
            {
                error = new(tag == 0 ? GtidParseProblem.ExpectedColon : GtidParseProblem.TagWithoutIntervals, end);
                return false;
            }

            error = default;
            return true;
        }

        private static bool TryReadInterval(ReadOnlySpan<char> text, ref int index, out long first, out long last, out GtidParseError error)
        {
            first = last = 0;
            var start = index;
            if (!GtidText.TryReadNumber(text, ref index, long.MaxValue, out var low, out error))
                return false;
            var high = low;
            if (index < text.Length && text[index] == '-')
            {
                index++;
                if (!GtidText.TryReadNumber(text, ref index, long.MaxValue, out high, out error))
                    return false;
            }

            if (low == 0)
            {
                error = new(GtidParseProblem.Zero, start);
                return false;
            }

            if (high < low)
            {
                error = new(GtidParseProblem.EndBeforeStart, start);
                return false;
            }

            (first, last) = ((long)low, (long)high);
            return true;
        }

        private int FindOrAddTag(TagSpan tag)
        {
            var name = Name(tag);
            for (var i = 0; i < _tagCount; i++)
            {
                if (name.Equals(Name(Tags[i]), StringComparison.OrdinalIgnoreCase))
                    return i + 1;
            }

            Tags[_tagCount++] = tag;
            return _tagCount;
        }

        private int FindOrAddKey(RawKey key)
        {
            // Newest first: a UUID repeated across elements is rare, a tag group right after its UUID's intervals is not.
            for (var i = _keyCount - 1; i >= 0; i--)
            {
                if (Keys[i] == key)
                    return i;
            }

            Keys[_keyCount] = key;
            return _keyCount++;
        }

        public readonly MySqlGtidSet Build()
        {
            // One pooled buffer for the tag and key permutations: [tag order | tag rank by id | key order | key rank by index].
            var scratch = ArrayPool<int>.Shared.Rent((2 * _tagCount) + 1 + (2 * _keyCount));
            try
            {
                var tagOrder = scratch.AsSpan(0, _tagCount);
                var tagRankById = scratch.AsSpan(_tagCount, _tagCount + 1);
                var keyOrder = scratch.AsSpan((2 * _tagCount) + 1, _keyCount);
                var keyRank = scratch.AsSpan((2 * _tagCount) + 1 + _keyCount, _keyCount);
                var keys = Keys.AsSpan(0, _keyCount);
                var items = Items.AsSpan(0, _itemCount);

                if (_tagCount > 0)
                {
                    SortTags(tagOrder);
                    tagRankById[0] = 0;
                    for (var rank = 1; rank <= tagOrder.Length; rank++)
                        tagRankById[tagOrder[rank - 1] + 1] = rank;
                    for (var i = 0; i < keys.Length; i++)
                        keys[i] = keys[i] with { Tag = tagRankById[keys[i].Tag] };
                }

                // Keys in canonical order (UUID, then tag rank); canonical input is already in order and keeps its items.
                var keysInOrder = true;
                for (var i = 0; i < keyOrder.Length; i++)
                {
                    var j = i;
                    for (; j > 0 && CompareKeys(keys[keyOrder[j - 1]], keys[i]) > 0; j--)
                        keyOrder[j] = keyOrder[j - 1];
                    keyOrder[j] = i;
                    keysInOrder &= j == i;
                }

                if (!keysInOrder)
                {
                    for (var rank = 0; rank < keyOrder.Length; rank++)
                        keyRank[keyOrder[rank]] = rank;
                    for (var i = 0; i < items.Length; i++)
                        items[i] = new RawInterval(keyRank[items[i].Key], items[i].Start, items[i].End);
                }

                if (!IsSorted(items))
                    items.Sort(static (x, y) => x.Key != y.Key ? x.Key.CompareTo(y.Key) : x.Start.CompareTo(y.Start));

                return Merged(items, keys, keyOrder, tagOrder);
            }
            finally
            {
                ArrayPool<int>.Shared.Return(scratch);
            }
        }

        /// <summary>Turns items sorted by (key rank, start) into canonical arrays.</summary>
        private readonly MySqlGtidSet Merged(Span<RawInterval> items, ReadOnlySpan<RawKey> keys, ReadOnlySpan<int> keyOrder, ReadOnlySpan<int> tagOrder)
        {
            // Merge overlapping and touching intervals in place. Every key owns at least one interval, so sources = keys.
            var count = 1;
            for (var i = 1; i < items.Length; i++)
            {
                ref readonly var item = ref items[i];
                ref var last = ref items[count - 1];
                if (last.Key == item.Key && item.Start - 1 <= last.End)
                {
                    if (item.End > last.End)
                        last = new RawInterval(last.Key, last.Start, item.End);
                }
                else
                {
                    items[count++] = item;
                }
            }

            var sources = new Source[keys.Length];
            var intervals = new Interval[count];
            string? tagName = null;
            var tagRank = -1;
            for (int i = 0, first = 0; i < count; i++)
            {
                intervals[i] = new Interval(items[i].Start, items[i].End);
                var rank = items[i].Key;
                if (i + 1 < count && items[i + 1].Key == rank)
                    continue;

                // Last interval of this key's run.
                var key = keys[keyOrder[rank]];
                if (key.Tag != tagRank)
                {
                    tagRank = key.Tag;
                    tagName = key.Tag == 0 ? string.Empty : LowercaseTag(Tags[tagOrder[key.Tag - 1]]);
                }

                sources[rank] = new Source(key.Uuid, tagName!, first, i + 1 - first);
                first = i + 1;
            }

            return new MySqlGtidSet(sources, intervals);
        }

        /// <summary>Orders the tag table by canonical (lowercase ordinal) text: <c>order[rank - 1]</c> = tag index. Tables are tiny.</summary>
        private readonly void SortTags(Span<int> order)
        {
            for (var i = 0; i < order.Length; i++)
            {
                var j = i;
                for (; j > 0 && CompareLowercase(Name(Tags[order[j - 1]]), Name(Tags[i])) > 0; j--)
                    order[j] = order[j - 1];
                order[j] = i;
            }
        }

        private readonly ReadOnlySpan<char> Name(TagSpan tag) => _text.Slice(tag.Start, tag.Length);

        private readonly string LowercaseTag(TagSpan tag)
        {
            Span<char> lower = stackalloc char[MaxTagLength];
            Ascii.ToLower(Name(tag), lower, out var written);
            return new string(lower[..written]);
        }

        private static int CompareKeys(RawKey x, RawKey y)
        {
            var order = x.Uuid.CompareTo(y.Uuid);
            return order != 0 ? order : x.Tag.CompareTo(y.Tag);
        }

        private static int CompareLowercase(ReadOnlySpan<char> x, ReadOnlySpan<char> y)
        {
            // Lowercase ordinal, as the canonical text sorts: '_' comes before the letters.
            var length = Math.Min(x.Length, y.Length);
            for (var i = 0; i < length; i++)
            {
                var order = char.ToLowerInvariant(x[i]) - char.ToLowerInvariant(y[i]);
                if (order != 0)
                    return order;
            }

            return x.Length - y.Length;
        }

        private static bool IsSorted(ReadOnlySpan<RawInterval> items)
        {
            for (var i = 1; i < items.Length; i++)
            {
                if (items[i - 1].Key > items[i].Key || (items[i - 1].Key == items[i].Key && items[i - 1].Start > items[i].Start))
                    return false;
            }

            return true;
        }
    }
}
