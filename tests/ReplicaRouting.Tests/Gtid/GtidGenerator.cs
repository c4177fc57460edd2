using System.Text;

namespace ReplicaRouting.Tests.Gtid;

/// <summary>
/// Random GTID positions for property tests, each with a naive model to check the real types against: MySQL sets spelled out
/// GTID by GTID (so ranges stay small), MariaDB positions as a dictionary. The text spellings are deliberately non-canonical.
/// </summary>
internal static class GtidGenerator
{
    public static readonly string[] Uuids =
    [
        "3e11fa47-71ca-11e1-9e33-c80aa9429562",
        "4f2a0b3c-1d2e-11ef-8a9b-0242ac120002",
        "00000000-0000-0000-0000-000000000001",
        "ffffffff-ffff-ffff-ffff-fffffffffffe",
        "a1b2c3d4-e5f6-4789-abcd-ef0123456789",
    ];

    /// <summary>Canonical (lowercase) tags; "" is untagged. '_' sorts before the letters.</summary>
    public static readonly string[] Tags = ["", "a", "batch", "_x", "tag_9", "z", "abcdefghijklmnopqrstuvwxyz_01234"];

    private static readonly string[] Whitespace = ["", "", " ", "\n", "\r\n", "\t", "  \n "];

    // ---- MySQL ----

    /// <summary>GTIDs as (uuid, tag, number); numbers are base + 1..48, the base sometimes right below long.MaxValue.</summary>
    public static HashSet<(string Uuid, string Tag, long N)> RandomMySqlModel(Random random)
    {
        long[] bases = [0, 0, 0, 1_000_000, long.MaxValue - 48];
        var numberBase = bases[random.Next(bases.Length)];
        var model = new HashSet<(string, string, long)>();
        var sources = random.Next(0, 5);
        for (var s = 0; s < sources; s++)
        {
            var uuid = Uuids[random.Next(Uuids.Length)];
            var tag = random.Next(2) == 0 ? "" : Tags[random.Next(Tags.Length)];
            for (var run = random.Next(1, 4); run > 0; run--)
            {
                var start = random.Next(1, 49);
                var end = Math.Min(48, start + random.Next(0, 8));
                for (var n = start; n <= end; n++)
                    model.Add((uuid, tag, numberBase + n));
            }
        }

        return model;
    }

    /// <summary>A random subset, superset or unrelated set of <paramref name="model"/>, so subset checks meet both answers.</summary>
    public static HashSet<(string Uuid, string Tag, long N)> RelatedMySqlModel(Random random, HashSet<(string Uuid, string Tag, long N)> model)
    {
        switch (random.Next(3))
        {
            case 0:
                return model.Where(_ => random.Next(4) != 0).ToHashSet();
            case 1:
                var superset = new HashSet<(string, string, long)>(model);
                superset.UnionWith(RandomMySqlModel(random));
                foreach (var (uuid, tag, n) in model.Take(3))
                    superset.Add((uuid, tag, n == long.MaxValue ? n - 1 : n + 1));
                return superset;
            default:
                return RandomMySqlModel(random);
        }
    }

    /// <summary>The reference formatter: what the canonical text must be, built the obvious way.</summary>
    public static string MySqlCanonical(IEnumerable<(string Uuid, string Tag, long N)> model)
    {
        var elements = model
            .GroupBy(g => g.Uuid)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(byUuid => byUuid.Key + string.Concat(byUuid
                .GroupBy(g => g.Tag)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(byTag => (byTag.Key.Length > 0 ? ":" + byTag.Key : "")
                    + string.Concat(Ranges(byTag.Select(g => g.N)).Select(r => ":" + (r.Low == r.High ? $"{r.Low}" : $"{r.Low}-{r.High}"))))));
        return string.Join(",", elements);
    }

    /// <summary>
    /// A valid but messy spelling: ranges split and overlapping, duplicates, random element order and letter case, a UUID's
    /// GTIDs spread over several elements, whitespace around elements, <c>n-n</c> for single GTIDs.
    /// </summary>
    public static string MySqlText(Random random, IEnumerable<(string Uuid, string Tag, long N)> model)
    {
        var pieces = new List<(string Uuid, string Tag, long Low, long High)>();
        foreach (var group in model.GroupBy(g => (g.Uuid, g.Tag)))
        {
            foreach (var (low, high) in Ranges(group.Select(g => g.N)))
            {
                var cut = low + random.NextInt64(0, high - low + 1);
                if (cut > low && random.Next(2) == 0)
                {
                    pieces.Add((group.Key.Uuid, group.Key.Tag, low, cut - 1));
                    pieces.Add((group.Key.Uuid, group.Key.Tag, cut, high));
                }
                else
                {
                    pieces.Add((group.Key.Uuid, group.Key.Tag, low, high));
                }

                if (random.Next(4) == 0)
                    pieces.Add((group.Key.Uuid, group.Key.Tag, cut, cut));   // overlaps
            }
        }

        var elements = new List<string>();
        foreach (var byUuid in pieces.GroupBy(p => p.Uuid))
        {
            // Spread each UUID over one or two elements; within an element, untagged intervals must come first.
            var parts = byUuid.OrderBy(_ => random.Next()).ToList();
            var split = parts.Count > 1 && random.Next(3) == 0 ? random.Next(1, parts.Count) : parts.Count;
            foreach (var part in new[] { parts.Take(split), parts.Skip(split) })
            {
                var list = part.ToList();
                if (list.Count == 0)
                    continue;

                var element = new StringBuilder(RandomCase(random, byUuid.Key));
                foreach (var byTag in list.GroupBy(p => p.Tag).OrderBy(g => g.Key.Length == 0 ? 0 : 1 + random.Next(10)))
                {
                    if (byTag.Key.Length > 0)
                        element.Append(':').Append(RandomCase(random, byTag.Key));
                    foreach (var piece in byTag)
                    {
                        element.Append(':').Append(piece.Low);
                        if (piece.High != piece.Low || random.Next(8) == 0)
                            element.Append('-').Append(piece.High);
                    }
                }

                elements.Add(element.ToString());
            }
        }

        elements = [.. elements.OrderBy(_ => random.Next())];
        var text = new StringBuilder(Pick(random, Whitespace));
        for (var i = 0; i < elements.Count; i++)
        {
            if (i > 0)
                text.Append(Pick(random, Whitespace)).Append(',').Append(Pick(random, Whitespace));
            text.Append(elements[i]);
        }

        return text.Append(Pick(random, Whitespace)).ToString();
    }

    public static MySqlGtidSet RandomMySqlSet(Random random) => MySqlGtidSet.Parse(MySqlText(random, RandomMySqlModel(random)));

    // ---- MariaDB ----

    /// <summary>
    /// domain → (server id, seq). The server id is a function of (domain, seq), as in a real cluster where a GTID names one
    /// transaction, so merging is commutative; seqs sometimes reach ulong.MaxValue.
    /// </summary>
    public static Dictionary<uint, (uint ServerId, ulong Seq)> RandomMariaDbModel(Random random)
    {
        uint[] domains = [0, 1, 2, 7, 100, uint.MaxValue];
        var model = new Dictionary<uint, (uint, ulong)>();
        for (var count = random.Next(0, 5); count > 0; count--)
        {
            var domain = domains[random.Next(domains.Length)];
            model[domain] = Entry(domain, RandomSeq(random));
        }

        return model;
    }

    public static Dictionary<uint, (uint ServerId, ulong Seq)> RelatedMariaDbModel(Random random, Dictionary<uint, (uint ServerId, ulong Seq)> model)
    {
        var related = random.Next(3) == 2 ? RandomMariaDbModel(random) : new Dictionary<uint, (uint ServerId, ulong Seq)>(model);
        foreach (var (domain, (_, seq)) in model)
        {
            switch (random.Next(5))
            {
                case 0:
                    related.Remove(domain);
                    break;
                case 1 when seq > 0:
                    related[domain] = Entry(domain, seq - 1);
                    break;
                case 2 when seq < ulong.MaxValue:
                    related[domain] = Entry(domain, seq + 1);
                    break;
            }
        }

        return related;
    }

    public static (uint ServerId, ulong Seq) Entry(uint domain, ulong seq) => ((uint)(((domain * 31UL) + seq) % 5) + 1, seq);

    public static string MariaDbCanonical(Dictionary<uint, (uint ServerId, ulong Seq)> model) =>
        string.Join(",", model.OrderBy(e => e.Key).Select(e => $"{e.Key}-{e.Value.ServerId}-{e.Value.Seq}"));

    public static string MariaDbText(Random random, Dictionary<uint, (uint ServerId, ulong Seq)> model)
    {
        var entries = model.Select(e => $"{e.Key}-{e.Value.ServerId}-{e.Value.Seq}").OrderBy(_ => random.Next()).ToList();
        var text = new StringBuilder(Pick(random, Whitespace));
        for (var i = 0; i < entries.Count; i++)
        {
            if (i > 0)
                text.Append(Pick(random, Whitespace)).Append(',').Append(Pick(random, Whitespace));
            text.Append(entries[i]);
        }

        return text.Append(Pick(random, Whitespace)).ToString();
    }

    public static MariaDbGtidPosition RandomMariaDbPosition(Random random) =>
        MariaDbGtidPosition.Parse(MariaDbText(random, RandomMariaDbModel(random)));

    // ---- helpers ----

    /// <summary>Sorted distinct numbers as maximal runs.</summary>
    public static IEnumerable<(long Low, long High)> Ranges(IEnumerable<long> numbers)
    {
        long low = 0, high = 0;
        var any = false;
        foreach (var n in numbers.Distinct().Order())
        {
            if (any && n == high + 1)
            {
                high = n;
                continue;
            }

            if (any)
                yield return (low, high);
            (low, high, any) = (n, n, true);
        }

        if (any)
            yield return (low, high);
    }

    private static ulong RandomSeq(Random random) => random.Next(4) switch
    {
        0 => (ulong)random.Next(0, 10),
        1 => ulong.MaxValue - (ulong)random.Next(0, 3),
        _ => (ulong)random.Next(0, 1_000_000),
    };

    private static string RandomCase(Random random, string text) =>
        string.Concat(text.Select(c => random.Next(2) == 0 ? char.ToUpperInvariant(c) : c));

    private static string Pick(Random random, string[] values) => values[random.Next(values.Length)];
}
