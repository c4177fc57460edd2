using System.Text;
using static ReplicaRouting.Tests.Gtid.GtidGenerator;

namespace ReplicaRouting.Tests.Gtid;

/// <summary>
/// Properties checked against naive models on seeded random positions: every run checks the same few thousand cases.
/// </summary>
public class GtidPropertyTests
{
    private const int Seed = 20_250_117;
    private const int Cases = 2000;
    private const int MergeCases = 1000;   // three sets per case

    [Fact]
    public void MySql_any_spelling_parses_to_the_reference_canonical_text()
    {
        var random = new Random(Seed);
        for (var i = 0; i < Cases; i++)
        {
            var model = RandomMySqlModel(random);
            var text = MySqlText(random, model);
            var canonical = MySqlCanonical(model);

            Assert.True(MySqlGtidSet.TryParse(text, out var set), text);
            Assert.Equal(canonical, set.ToString());
            Assert.Equal(model.Count == 0, set.IsEmpty);

            // format then parse is the identity on canonical text
            var again = MySqlGtidSet.Parse(canonical);
            Assert.Equal(canonical, again.ToString());
            Assert.Equal(set, again);
            Assert.Equal(set.GetHashCode(), again.GetHashCode());
        }
    }

    [Fact]
    public void MySql_IsSatisfiedBy_is_set_inclusion()
    {
        var random = new Random(Seed + 1);
        var answers = new int[2];
        for (var i = 0; i < Cases; i++)
        {
            var a = RandomMySqlModel(random);
            var b = RelatedMySqlModel(random, a);
            var setA = MySqlGtidSet.Parse(MySqlText(random, a));
            var setB = MySqlGtidSet.Parse(MySqlText(random, b));

            Assert.Equal(a.IsSubsetOf(b), setA.IsSatisfiedBy(setB));
            Assert.Equal(b.IsSubsetOf(a), setB.IsSatisfiedBy(setA));
            Assert.True(setA.IsSatisfiedBy(setA));
            answers[a.IsSubsetOf(b) ? 1 : 0]++;
        }

        // The generator must exercise both answers, or the agreement means little.
        Assert.All(answers, count => Assert.True(count > Cases / 10));
    }

    [Fact]
    public void MySql_merge_is_the_union_and_commutative_associative_idempotent()
    {
        var random = new Random(Seed + 2);
        for (var i = 0; i < MergeCases; i++)
        {
            var a = RandomMySqlModel(random);
            var b = RelatedMySqlModel(random, a);
            var c = RandomMySqlModel(random);
            var (setA, setB, setC) = (Parse(random, a), Parse(random, b), Parse(random, c));

            var merged = setA.Merge(setB);
            Assert.Equal(MySqlCanonical(a.Union(b)), merged.ToString());
            Assert.Equal(merged, setB.Merge(setA));
            Assert.Equal(merged.Merge(setC), setA.Merge(setB.Merge(setC)));
            Assert.Same(setA, setA.Merge(setA));
            Assert.Same(merged, merged.Merge(setA));
            Assert.True(setA.IsSatisfiedBy(merged));
            Assert.True(setB.IsSatisfiedBy(merged));
            if (b.IsSubsetOf(a))
                Assert.Same(setA, merged);
        }

        static MySqlGtidSet Parse(Random random, HashSet<(string, string, long)> model) => MySqlGtidSet.Parse(MySqlText(random, model));
    }

    [Fact]
    public void MariaDb_any_spelling_parses_to_the_reference_canonical_text()
    {
        var random = new Random(Seed + 3);
        for (var i = 0; i < Cases; i++)
        {
            var model = RandomMariaDbModel(random);
            var canonical = MariaDbCanonical(model);

            Assert.True(MariaDbGtidPosition.TryParse(MariaDbText(random, model), out var position));
            Assert.Equal(canonical, position.ToString());

            var again = MariaDbGtidPosition.Parse(canonical);
            Assert.Equal(canonical, again.ToString());
            Assert.Equal(position, again);
            Assert.Equal(position.GetHashCode(), again.GetHashCode());
        }
    }

    [Fact]
    public void MariaDb_IsSatisfiedBy_compares_seq_per_domain()
    {
        var random = new Random(Seed + 4);
        var answers = new int[2];
        for (var i = 0; i < Cases; i++)
        {
            var a = RandomMariaDbModel(random);
            var b = RelatedMariaDbModel(random, a);
            var (positionA, positionB) = (Parse(random, a), Parse(random, b));

            Assert.Equal(Reference(a, b), positionA.IsSatisfiedBy(positionB));
            Assert.Equal(Reference(b, a), positionB.IsSatisfiedBy(positionA));
            answers[Reference(a, b) ? 1 : 0]++;
        }

        Assert.All(answers, count => Assert.True(count > Cases / 10));

        static bool Reference(Dictionary<uint, (uint ServerId, ulong Seq)> wanted, Dictionary<uint, (uint ServerId, ulong Seq)> server) =>
            wanted.All(e => server.TryGetValue(e.Key, out var entry) && entry.Seq >= e.Value.Seq);
    }

    [Fact]
    public void MariaDb_merge_is_the_per_domain_max_and_commutative_associative_idempotent()
    {
        var random = new Random(Seed + 5);
        for (var i = 0; i < MergeCases; i++)
        {
            var a = RandomMariaDbModel(random);
            var b = RelatedMariaDbModel(random, a);
            var c = RandomMariaDbModel(random);
            var (positionA, positionB, positionC) = (Parse(random, a), Parse(random, b), Parse(random, c));

            var expected = new Dictionary<uint, (uint ServerId, ulong Seq)>(a);
            foreach (var (domain, entry) in b)
            {
                if (!expected.TryGetValue(domain, out var current) || entry.Seq > current.Seq)
                    expected[domain] = entry;
            }

            var merged = positionA.Merge(positionB);
            Assert.Equal(MariaDbCanonical(expected), merged.ToString());
            Assert.Equal(merged, positionB.Merge(positionA));
            Assert.Equal(merged.Merge(positionC), positionA.Merge(positionB.Merge(positionC)));
            Assert.Same(positionA, positionA.Merge(positionA));
            Assert.Same(merged, merged.Merge(positionB));
            Assert.True(positionA.IsSatisfiedBy(merged));
            Assert.True(positionB.IsSatisfiedBy(merged));
            if (positionB.IsSatisfiedBy(positionA))
                Assert.Same(positionA, merged);
        }
    }

    [Fact]
    public void Damaged_text_never_throws_and_what_parses_is_stable()
    {
        // Valid texts with one character deleted, inserted or replaced, plus pure noise.
        const string Interesting = "0123456789abcdefABCDEF-:,~ \n_xyzT.;\t9";
        var random = new Random(Seed + 6);
        for (var i = 0; i < Cases * 2; i++)
        {
            var flavor = random.Next(2) == 0 ? ServerFlavor.MySql : ServerFlavor.MariaDb;
            var text = flavor == ServerFlavor.MySql
                ? MySqlText(random, RandomMySqlModel(random))
                : MariaDbText(random, RandomMariaDbModel(random));
            var damaged = new StringBuilder(text);
            var at = random.Next(damaged.Length + 1);
            var noise = Interesting[random.Next(Interesting.Length)];
            switch (random.Next(4))
            {
                case 0 when at < damaged.Length:
                    damaged.Remove(at, 1);
                    break;
                case 1 when at < damaged.Length:
                    damaged[at] = noise;
                    break;
                case 2:
                    damaged.Insert(at, noise);
                    break;
                default:
                    damaged.Clear();
                    for (var n = random.Next(0, 60); n > 0; n--)
                        damaged.Append(Interesting[random.Next(Interesting.Length)]);
                    break;
            }

            if (GtidPosition.TryParse(flavor, damaged.ToString(), out var position))
            {
                Assert.Equal(flavor, position.Flavor);
                Assert.True(GtidPosition.TryParse(flavor, position.ToString(), out var again));
                Assert.Equal(position, again);
                Assert.Equal(position.ToString(), again.ToString());
            }
        }
    }

    private static MariaDbGtidPosition Parse(Random random, Dictionary<uint, (uint ServerId, ulong Seq)> model) =>
        MariaDbGtidPosition.Parse(MariaDbText(random, model));
}
