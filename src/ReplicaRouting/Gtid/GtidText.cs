namespace ReplicaRouting;

/// <summary>Why a GTID text was rejected; a plain enum so that the hot parse path stores no references.</summary>
internal enum GtidParseProblem : byte
{
    None,
    TooLong,
    EmptyElement,
    ExpectedNumber,
    NumberTooLarge,
    LeadingZero,
    Zero,
    EndBeforeStart,
    InvalidUuid,
    ExpectedColon,
    TagWithoutIntervals,
    TagTooLong,
    ExpectedDash,
    UnexpectedCharacter,
    DuplicateDomain,
}

/// <summary>Why a GTID text was rejected, and where (an index into the text).</summary>
internal readonly record struct GtidParseError(GtidParseProblem Problem, int Index)
{
    /// <summary>For exception messages only.</summary>
    public override string ToString()
    {
        var reason = Problem switch
        {
            GtidParseProblem.TooLong => "text longer than MaxTextLength",
            GtidParseProblem.EmptyElement => "empty element",
            GtidParseProblem.ExpectedNumber => "expected a number",
            GtidParseProblem.NumberTooLarge => "number too large",
            GtidParseProblem.LeadingZero => "leading zero",
            GtidParseProblem.Zero => "GTID numbers start at 1",
            GtidParseProblem.EndBeforeStart => "interval ends before it starts",
            GtidParseProblem.InvalidUuid => "invalid UUID",
            GtidParseProblem.ExpectedColon => "expected ':'",
            GtidParseProblem.TagWithoutIntervals => "tag without intervals",
            GtidParseProblem.TagTooLong => "tag longer than 32 characters",
            GtidParseProblem.ExpectedDash => "expected '-'",
            GtidParseProblem.UnexpectedCharacter => "unexpected character after the sequence number",
            GtidParseProblem.DuplicateDomain => "duplicate domain",
            _ => "invalid text",
        };
        return $"{reason} at index {Index}";
    }
}

/// <summary>
/// Told how far a parser has read, so that its caller can process the text in the same pass (the token checksum): the
/// processor then overlaps that work with the parsing. <see cref="Reached"/> may be called any number of times; indexes never
/// decrease.
/// </summary>
internal interface IGtidParseProgress
{
    /// <summary>The parser has read <paramref name="text"/> up to <paramref name="index"/> (exclusive).</summary>
    void Reached(ReadOnlySpan<char> text, int index);
}

/// <summary>No caller work: what every parse outside the token uses (the calls compile to nothing).</summary>
internal struct NoGtidParseProgress : IGtidParseProgress
{
    public readonly void Reached(ReadOnlySpan<char> text, int index)
    {
    }
}

/// <summary>Lexing shared by the MySQL and MariaDB GTID parsers: strict, allocation-free.</summary>
internal static class GtidText
{
    /// <summary>Whitespace the servers put between elements (<c>@@gtid_executed</c> has a newline after each comma).</summary>
    public static bool IsWhitespace(char c) => c is ' ' or '\n' or '\r' or '\t';

    public static bool IsBlank(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
        {
            if (!IsWhitespace(c))
                return false;
        }

        return true;
    }

    /// <summary>Finds the element that starts at <paramref name="position"/>: its trimmed bounds, and where the next one starts (-1 after the last).</summary>
    public static void NextElement(ReadOnlySpan<char> text, char separator, int position, out int start, out int end, out int next)
    {
        var separatorAt = text[position..].IndexOf(separator);
        end = separatorAt < 0 ? text.Length : position + separatorAt;
        next = separatorAt < 0 ? -1 : end + 1;
        start = position;
        while (start < end && IsWhitespace(text[start]))
            start++;
        while (end > start && IsWhitespace(text[end - 1]))
            end--;
    }

    /// <summary>
    /// Reads a decimal number at <paramref name="index"/> and moves past it. No sign, no leading zero (the servers never print
    /// one, and a single spelling per value keeps the canonical form unique), at most <paramref name="max"/>.
    /// </summary>
    public static bool TryReadNumber(ReadOnlySpan<char> text, ref int index, ulong max, out ulong value, out GtidParseError error)
    {
        // A local index (not the ref) keeps the digit loop in registers; 19 digits cannot overflow a ulong, so the
        // loop needs no per-digit check, and only a 20th digit takes the careful path.
        var start = index;
        var end = Math.Min(text.Length, start + 19);
        var i = start;
        ulong result = 0;
        while (i < end && char.IsAsciiDigit(text[i]))
        {
            result = (result * 10) + (uint)(text[i] - '0');
            i++;
        }

        value = 0;
        if (i == start)
        {
            error = new(GtidParseProblem.ExpectedNumber, start);
            return false;
        }

        if (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            var digit = (uint)(text[i] - '0');
            if (i == end && result <= (ulong.MaxValue - digit) / 10)
            {
                result = (result * 10) + digit;
                i++;
            }

            if (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                error = new(GtidParseProblem.NumberTooLarge, start);
                return false;
            }
        }

        if (result > max)
        {
            error = new(GtidParseProblem.NumberTooLarge, start);
            return false;
        }

        if (text[start] == '0' && i - start > 1)
        {
            error = new(GtidParseProblem.LeadingZero, start);
            return false;
        }

        index = i;
        value = result;
        error = default;
        return true;
    }

    public static int CountDigits(ulong value)
    {
        var digits = 1;
        while (value >= 10)
        {
            value /= 10;
            digits++;
        }

        return digits;
    }

    /// <summary>Writes <paramref name="value"/> at <paramref name="index"/> and moves past it.</summary>
    public static void WriteNumber(Span<char> destination, ref int index, ulong value)
    {
        value.TryFormat(destination[index..], out var written, default, System.Globalization.CultureInfo.InvariantCulture);
        index += written;
    }
}
