using System.Globalization;
using System.Text;

namespace ReplicaRouting.IntegrationTests.Classification;

/// <summary>Shrinks a failing SQL text: removes runs of tokens, then of characters, as long as the failure persists.</summary>
public static class Shrinker
{
    /// <summary>The smallest text found within <paramref name="budget"/> checks for which <paramref name="fails"/> still holds.</summary>
    public static async Task<string> ShrinkAsync(string text, int budget, Func<string, Task<bool>> fails)
    {
        var checks = new Budget(budget);
        var tokens = await ReduceAsync(Tokens(text), checks, fails);
        var characters = await ReduceAsync(string.Concat(tokens).Select(c => c.ToString()).ToList(), checks, fails);
        return string.Concat(characters);
    }

    /// <summary>Removes chunks of halving size (a one-pass delta debugging) while the joined parts still fail.</summary>
    private static async Task<List<string>> ReduceAsync(List<string> parts, Budget checks, Func<string, Task<bool>> fails)
    {
        for (var chunk = Math.Max(parts.Count / 2, 1); chunk >= 1; chunk /= 2)
        {
            var start = 0;
            while (start < parts.Count && checks.Left > 0)
            {
                var candidate = new List<string>(parts);
                candidate.RemoveRange(start, Math.Min(chunk, parts.Count - start));
                checks.Left--;
                if (candidate.Count > 0 && await fails(string.Concat(candidate)))
                    parts = candidate;
                else
                    start += chunk;
            }
        }

        return parts;
    }

    private sealed class Budget(int checks)
    {
        public int Left = checks;
    }

    /// <summary>Words (letters, digits, _), runs of whitespace, and every other character on its own.</summary>
    private static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            if (char.IsLetterOrDigit(text[i]) || text[i] == '_')
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_'))
                    i++;
            }
            else if (text[i] is ' ' or '\t' or '\n' or '\r')
            {
                while (i < text.Length && text[i] is ' ' or '\t' or '\n' or '\r')
                    i++;
            }
            else
            {
                i++;
            }

            tokens.Add(text[start..i]);
        }

        return tokens;
    }

    /// <summary>The text as a C# string literal: control and non-ASCII characters escaped, so that a repro pastes exactly.</summary>
    public static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            _ = c switch
            {
                '"' => quoted.Append("\\\""),
                '\\' => quoted.Append(@"\\"),
                '\n' => quoted.Append(@"\n"),
                '\t' => quoted.Append(@"\t"),
                < ' ' or > '~' => quoted.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}"),
                _ => quoted.Append(c),
            };
        }

        return quoted.Append('"').ToString();
    }
}
