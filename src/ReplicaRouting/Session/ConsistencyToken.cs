using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

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

    // GTID text only ever contains ',' among the characters a cookie or header cannot carry, and never '~'.
    private const char GtidSeparator = '~';

    private static readonly SearchValues<char> s_allowed =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:~-");

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
    public static bool TryParse(ReadOnlySpan<char> text, [NotNullWhen(true)] out ConsistencyToken? token)
    {
        token = null;
        if (text.Length > MaxLength || text.ContainsAnyExcept(s_allowed) || !text.StartsWith(VersionPrefix, StringComparison.Ordinal))
            return false;

        // The checksum is the last field: everything before it must hash to it.
        var lastSeparator = text.LastIndexOf(FieldSeparator);
        if (lastSeparator < VersionPrefix.Length || text.Length - lastSeparator - 1 != ChecksumLength
            || !uint.TryParse(text[(lastSeparator + 1)..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var checksum)
            || checksum != Checksum(text[..lastSeparator]))
        {
            return false;
        }

        var rest = text[VersionPrefix.Length..lastSeparator];
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

        if (!IsValidClusterId(clusterId)
            || !TryParseUnixMilliseconds(issuedAt, out var milliseconds)
            || !GtidPosition.TryParseWithSeparator(flavor, rest, GtidSeparator, out var position))
        {
            return false;
        }

        token = new ConsistencyToken(clusterId.ToString(), position, DateTimeOffset.FromUnixTimeMilliseconds(milliseconds));
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
    private static uint Checksum(ReadOnlySpan<char> text)
    {
        var hash = 2166136261u;
        foreach (var c in text)
            hash = (hash ^ c) * 16777619u;
        return hash;
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
