using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace ReplicaRouting;

/// <summary>
/// The portable form of "what this user must see": the GTID position of the user's last writes, the cluster it belongs to,
/// and when it was issued. Carried between requests (cookie, header) so that a later read waits for those writes on a replica.
/// </summary>
/// <remarks>
/// <para>
/// Text form (<see cref="ToString"/>): <c>rr1.{flavor}.{clusterId}.{issuedAt}.{position}.{check}</c>, where <c>flavor</c> is
/// <c>m</c> (MySQL) or <c>d</c> (MariaDB), <c>issuedAt</c> is Unix time in milliseconds, <c>position</c> is the canonical GTID
/// text with each <c>,</c> written as <c>~</c>, and <c>check</c> is 8 hex digits of a checksum over everything before it, so a
/// truncated or damaged token (which could otherwise still parse, asking for less than the user wrote) is rejected. For
/// example <c>rr1.d.orders-eu.1735689600000.0-1-5~1-2-9.1a2b3c4d</c>. Only <c>[A-Za-z0-9._:~-]</c> occurs, so the text is safe
/// unescaped in a cookie value or an HTTP header. The checksum detects accidents, not forgery.
/// </para>
/// <para>
/// The text is neither signed nor encrypted: protect it (ASP.NET Data Protection) before it leaves the server. Text longer than
/// <see cref="MaxLength"/> never parses, so a token whose position is close to <see cref="GtidPosition.MaxTextLength"/> does not
/// survive the trip; the reader then falls back to "no token".
/// </para>
/// </remarks>
public sealed class ConsistencyToken : IEquatable<ConsistencyToken>
{
    /// <summary>The longest text <see cref="TryParse"/> accepts.</summary>
    public const int MaxLength = 4096;

    private const string VersionPrefix = "rr1.";
    private const int MaxClusterIdLength = 64;
    private const char FieldSeparator = '.';
    private const int ChecksumLength = 8;
    private const uint FnvOffsetBasis = 2166136261u;
    private const uint FnvPrime = 16777619u;

    // GTID text only ever contains ',' among the characters a cookie or header cannot carry, and never '~'.
    private const char GtidSeparator = '~';

    private static readonly SearchValues<char> s_clusterIdChars =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-");

    private static readonly long s_minUnixMilliseconds = DateTimeOffset.MinValue.ToUnixTimeMilliseconds();
    private static readonly long s_maxUnixMilliseconds = DateTimeOffset.MaxValue.ToUnixTimeMilliseconds();

    private string? _text;

    /// <summary>Creates a token.</summary>
    /// <param name="clusterId">Identifies the replication cluster the position belongs to: 1–64 characters of <c>[A-Za-z0-9_-]</c>.</param>
    /// <param name="position">The GTID position the reader must see.</param>
    /// <param name="issuedAt">When the token was issued; kept to the millisecond, in UTC, as the text form carries it.</param>
    /// <exception cref="ArgumentNullException"><paramref name="clusterId"/> or <paramref name="position"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="clusterId"/> is empty, longer than 64 characters, or has other characters.</exception>
    public ConsistencyToken(string clusterId, GtidPosition position, DateTimeOffset issuedAt)
    {
        ArgumentNullException.ThrowIfNull(clusterId);
        ArgumentNullException.ThrowIfNull(position);
        if (!IsValidClusterId(clusterId))
            throw new ArgumentException("A cluster id is 1 to 64 characters of A-Z, a-z, 0-9, '_' and '-'.", nameof(clusterId));

        ClusterId = clusterId;
        Position = position;

        // Truncated here rather than in the text, so that a parsed token equals the one that was written.
        IssuedAt = DateTimeOffset.FromUnixTimeMilliseconds(issuedAt.ToUnixTimeMilliseconds());
    }

    /// <summary>A token whose fields were read from valid text.</summary>
    private ConsistencyToken(string clusterId, GtidPosition position, long unixMilliseconds)
    {
        ClusterId = clusterId;
        Position = position;
        IssuedAt = DateTimeOffset.FromUnixTimeMilliseconds(unixMilliseconds);
    }

    /// <summary>The server family of <see cref="Position"/>.</summary>
    public ServerFlavor Flavor => Position.Flavor;

    /// <summary>Identifies the replication cluster the position belongs to; a token of another cluster means nothing here.</summary>
    public string ClusterId { get; }

    /// <summary>The GTID position the reader must see.</summary>
    public GtidPosition Position { get; }

    /// <summary>When the token was issued, in UTC, to the millisecond.</summary>
    public DateTimeOffset IssuedAt { get; }

    /// <summary>The versioned text form, e.g. <c>rr1.m.main.1735689600000.3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5~…</c>; cached.</summary>
    /// <returns>The text <see cref="TryParse"/> reads back into an equal token.</returns>
    public override string ToString() => _text ??= Format();

    /// <summary>Reads the text form written by <see cref="ToString"/>. Strict, and never throws.</summary>
    /// <param name="text">The text.</param>
    /// <param name="token">The token, or null when <paramref name="text"/> is not a valid token of a known version.</param>
    /// <returns>True when <paramref name="text"/> is a valid token.</returns>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryParse(ReadOnlySpan<char> text, [NotNullWhen(true)] out ConsistencyToken? token)
    {
        // Compiled optimized from the first call: a process may only see a few tokens before the code would tier up.
        token = null;
        if (text.Length > MaxLength || !IsTokenAlphabet(text) || !text.StartsWith(VersionPrefix, StringComparison.Ordinal))
            return false;

        // The checksum is the last field: everything before it (the body) must hash to it.
        var lastSeparator = text.LastIndexOf(FieldSeparator);
        if (lastSeparator < VersionPrefix.Length || text.Length - lastSeparator - 1 != ChecksumLength
            || !uint.TryParse(text[(lastSeparator + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var checksum))
        {
            return false;
        }

        var body = text[..lastSeparator];
        var rest = body[VersionPrefix.Length..];
        if (!TryTakeField(ref rest, out var flavorField) || !TryTakeField(ref rest, out var clusterId) || !TryTakeField(ref rest, out var issuedAt))
            return false;

        // The position is the last field and may be empty; it never contains '.', and its parser rejects one.
        ServerFlavor flavor;
        if (flavorField is "m")
            flavor = ServerFlavor.MySql;
        else if (flavorField is "d")
            flavor = ServerFlavor.MariaDb;
        else
            return false;

        // The whole text is in the alphabet, and a cluster id has no '.': excluding ':' and '~' leaves [A-Za-z0-9_-].
        if (clusterId.Length is 0 or > MaxClusterIdLength || clusterId.ContainsAny(':', GtidSeparator)
            || !TryParseUnixMilliseconds(issuedAt, out var milliseconds))
        {
            return false;
        }

        // The fields before the position are hashed first; the position is hashed as its parser reads it, so that the
        // processor overlaps the hash (a chain of dependent multiplications) with the parsing. Either way every character of
        // the body is hashed once, in order, and a token is only accepted when both the checksum and the position are valid.
        var hash = new BodyHash(body[..^rest.Length]);
        GtidPosition? position;
        if (flavor == ServerFlavor.MySql)
            position = MySqlGtidSet.TryParseCore(rest, GtidSeparator, ref hash, out var set, out _) ? set : null;
        else
            GtidPosition.TryParseWithSeparator(flavor, rest, GtidSeparator, out position);

        hash.Reached(rest, rest.Length);
        if (position is null || hash.Value != checksum)
            return false;

        token = new ConsistencyToken(clusterId.ToString(), position, milliseconds);
        return true;
    }

    /// <summary>Whether <paramref name="other"/> has the same cluster, position and issue time.</summary>
    /// <param name="other">The token to compare with.</param>
    /// <returns>True when all fields are equal.</returns>
    public bool Equals([NotNullWhen(true)] ConsistencyToken? other) =>
        ReferenceEquals(this, other)
        || (other is not null
            && string.Equals(ClusterId, other.ClusterId, StringComparison.Ordinal)
            && IssuedAt == other.IssuedAt
            && Position.Equals(other.Position));

    /// <inheritdoc/>
    public override bool Equals([NotNullWhen(true)] object? obj) => Equals(obj as ConsistencyToken);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(StringComparer.Ordinal.GetHashCode(ClusterId), IssuedAt, Position);

    /// <summary>Whether <paramref name="clusterId"/> is 1–64 characters of <c>[A-Za-z0-9_-]</c> (also used to validate options).</summary>
    internal static bool IsValidClusterId(ReadOnlySpan<char> clusterId) =>
        clusterId.Length is > 0 and <= MaxClusterIdLength && !clusterId.ContainsAnyExcept(s_clusterIdChars);

    /// <summary>Splits off the text up to the next field separator; false when there is none.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryTakeField(ref ReadOnlySpan<char> rest, out ReadOnlySpan<char> field)
    {
        var end = rest.IndexOf(FieldSeparator);
        if (end < 0)
        {
            field = default;
            return false;
        }

        field = rest[..end];
        rest = rest[(end + 1)..];
        return true;
    }

    /// <summary>A decimal number with an optional '-', no leading zero and no "-0", within the range of <see cref="DateTimeOffset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryParseUnixMilliseconds(ReadOnlySpan<char> text, out long milliseconds)
    {
        milliseconds = 0;
        var negative = text.StartsWith('-');
        var digits = negative ? text[1..] : text;
        if (digits.IsEmpty || digits.Length > 19 || (digits[0] == '0' && (digits.Length > 1 || negative)))
            return false;

        foreach (var c in digits)
        {
            if (!char.IsAsciiDigit(c))
                return false;
        }

        // At most 19 digits: the value fits a ulong; the range check below settles the rest.
        var magnitude = ulong.Parse(digits, NumberStyles.None, CultureInfo.InvariantCulture);
        if (magnitude > (ulong)long.MaxValue)
            return false;

        milliseconds = negative ? -(long)magnitude : (long)magnitude;
        return milliseconds >= s_minUnixMilliseconds && milliseconds <= s_maxUnixMilliseconds;
    }

    /// <summary>The body followed by its checksum field (tests use it to build bodies that only fail on their fields).</summary>
    internal static string AppendChecksum(string body) =>
        string.Create(CultureInfo.InvariantCulture, $"{body}{FieldSeparator}{Checksum(body):x8}");

    /// <summary>FNV-1a, 32 bits: cheap, allocation-free, and changes with any truncation or damage.</summary>
    private static uint Checksum(ReadOnlySpan<char> text) => Checksum(FnvOffsetBasis, text);

    /// <summary>Continues the FNV-1a hash <paramref name="hash"/> over <paramref name="text"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint Checksum(uint hash, ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            hash = (hash ^ c) * FnvPrime;
        return hash;
    }

    /// <summary>Whether every character of <paramref name="text"/> is in the token alphabet <c>[A-Za-z0-9._:~-]</c>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static bool IsTokenAlphabet(ReadOnlySpan<char> text)
    {
        // Own code rather than SearchValues, whose generic search is compiled unoptimized until it tiers up.
        ref var first = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(text));
        var length = (nuint)text.Length;
        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<ushort>.Count)
        {
            var disallowed = Vector256<ushort>.Zero;
            for (nuint i = 0; i < length - (nuint)Vector256<ushort>.Count; i += (nuint)Vector256<ushort>.Count)
                disallowed |= Disallowed(Vector256.LoadUnsafe(ref first, i));

            // The last vector ends at the end of the text, overlapping the one before (a character checked twice is harmless).
            disallowed |= Disallowed(Vector256.LoadUnsafe(ref first, length - (nuint)Vector256<ushort>.Count));
            return disallowed == Vector256<ushort>.Zero;
        }

        if (Vector128.IsHardwareAccelerated && length >= (nuint)Vector128<ushort>.Count)
        {
            var disallowed = Vector128<ushort>.Zero;
            for (nuint i = 0; i < length - (nuint)Vector128<ushort>.Count; i += (nuint)Vector128<ushort>.Count)
                disallowed |= Disallowed(Vector128.LoadUnsafe(ref first, i));
            disallowed |= Disallowed(Vector128.LoadUnsafe(ref first, length - (nuint)Vector128<ushort>.Count));
            return disallowed == Vector128<ushort>.Zero;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('.' or '_' or ':' or '~' or '-'))
                return false;
        }

        return true;
    }

    /// <summary>All bits set in the lanes whose character is outside the token alphabet.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ushort> Disallowed(Vector256<ushort> c) =>
        ~(Vector256.LessThan((c | Vector256.Create((ushort)0x20)) - Vector256.Create((ushort)'a'), Vector256.Create((ushort)26))   // letters, either case
            | Vector256.LessThan(c - Vector256.Create((ushort)'0'), Vector256.Create((ushort)11))                                // 0-9 and ':'
            | Vector256.LessThan(c - Vector256.Create((ushort)'-'), Vector256.Create((ushort)2))                                 // '-' and '.'
            | Vector256.Equals(c, Vector256.Create((ushort)'_'))
            | Vector256.Equals(c, Vector256.Create((ushort)'~')));

    /// <inheritdoc cref="Disallowed(Vector256{ushort})"/>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<ushort> Disallowed(Vector128<ushort> c) =>
        ~(Vector128.LessThan((c | Vector128.Create((ushort)0x20)) - Vector128.Create((ushort)'a'), Vector128.Create((ushort)26))
            | Vector128.LessThan(c - Vector128.Create((ushort)'0'), Vector128.Create((ushort)11))
            | Vector128.LessThan(c - Vector128.Create((ushort)'-'), Vector128.Create((ushort)2))
            | Vector128.Equals(c, Vector128.Create((ushort)'_'))
            | Vector128.Equals(c, Vector128.Create((ushort)'~')));

    /// <summary>The checksum of the body, read in pieces: as the position parser's <see cref="IGtidParseProgress"/> it follows the parser.</summary>
    private struct BodyHash : IGtidParseProgress
    {
        private int _hashed;

        /// <summary>Starts with the fields before the position.</summary>
        public BodyHash(ReadOnlySpan<char> fields) => Value = Checksum(FnvOffsetBasis, fields);

        /// <summary>The checksum of everything hashed so far.</summary>
        public uint Value { readonly get; private set; }

        /// <summary>Hashes the position up to <paramref name="index"/> (nothing twice).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Reached(ReadOnlySpan<char> text, int index)
        {
            if (index > _hashed)
            {
                Value = Checksum(Value, text[_hashed..index]);
                _hashed = index;
            }
        }
    }

    /// <summary>The body and its checksum written into the one string returned (no intermediate body string).</summary>
    private string Format()
    {
        var flavor = Position.Flavor == ServerFlavor.MySql ? 'm' : 'd';
        var milliseconds = IssuedAt.ToUnixTimeMilliseconds();
        var position = Position.ToString();
        var millisecondsLength = (milliseconds < 0 ? 1 : 0) + GtidText.CountDigits((ulong)Math.Abs(milliseconds));
        var length = VersionPrefix.Length + 2 + ClusterId.Length + 1 + millisecondsLength + 1 + position.Length + 1 + ChecksumLength;

        return string.Create(length, (Token: this, Flavor: flavor, Milliseconds: milliseconds, Position: position), static (destination, state) =>
        {
            VersionPrefix.CopyTo(destination);
            var index = VersionPrefix.Length;
            destination[index++] = state.Flavor;
            destination[index++] = FieldSeparator;
            state.Token.ClusterId.CopyTo(destination[index..]);
            index += state.Token.ClusterId.Length;
            destination[index++] = FieldSeparator;
            state.Milliseconds.TryFormat(destination[index..], out var written, default, CultureInfo.InvariantCulture);
            index += written;
            destination[index++] = FieldSeparator;
            var position = destination.Slice(index, state.Position.Length);
            state.Position.CopyTo(position);
            position.Replace(',', GtidSeparator);
            index += position.Length;
            var body = destination[..index];
            destination[index++] = FieldSeparator;
            Checksum(body).TryFormat(destination[index..], out _, "x8", CultureInfo.InvariantCulture);
        });
    }
}
