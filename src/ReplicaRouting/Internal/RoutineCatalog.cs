using System.Collections.Frozen;
using MySqlConnector;

namespace ReplicaRouting.Internal;

/// <summary>What a call to a stored function may do, as far as routing cares.</summary>
internal enum RoutineAccess : byte
{
    /// <summary>The catalog does not know the name.</summary>
    Unknown,

    /// <summary>A known function that only reads (declared NO SQL / READS SQL DATA, or a visible body without writes).</summary>
    ReadsOnly,

    /// <summary>A known function that may modify data: a call to it is a write.</summary>
    MayWrite,
}

/// <summary>One stored routine as <c>information_schema.ROUTINES</c> describes it.</summary>
/// <param name="Schema">ROUTINE_SCHEMA.</param>
/// <param name="Name">ROUTINE_NAME.</param>
/// <param name="IsFunction">ROUTINE_TYPE is FUNCTION (procedures only matter as what a function calls).</param>
/// <param name="SqlDataAccess">SQL_DATA_ACCESS: NO SQL, CONTAINS SQL, READS SQL DATA or MODIFIES SQL DATA.</param>
/// <param name="Definition">ROUTINE_DEFINITION, or null when the user may not see it.</param>
internal sealed record RoutineInfo(string Schema, string Name, bool IsFunction, string SqlDataAccess, string? Definition);

/// <summary>
/// Which stored functions may modify data, learnt from the primary's <c>information_schema.ROUTINES</c>. Immutable;
/// look-ups take spans and allocate nothing.
/// </summary>
/// <remarks>
/// A function may modify data when it is declared MODIFIES SQL DATA, when its visible body writes (a writing statement,
/// a side-effect function, a user variable assignment, or a call to a function that may write, transitively), or when its
/// body is hidden and it is not declared NO SQL or READS SQL DATA. Names compare case-insensitively (schemas too: safe
/// when the server distinguishes case, as the verdicts of names that differ only in case are merged).
/// </remarks>
internal sealed class RoutineCatalog
{
    private const char Separator = '\0';   // between schema and name in a qualified key: no name can contain it

    private static readonly FrozenDictionary<string, RoutineAccess> NoRoutines =
        new Dictionary<string, RoutineAccess>().ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private readonly FrozenDictionary<string, RoutineAccess>.AlternateLookup<ReadOnlySpan<char>> _byName;
    private readonly FrozenDictionary<string, RoutineAccess>.AlternateLookup<ReadOnlySpan<char>> _byQualifiedName;

    private RoutineCatalog(FrozenDictionary<string, RoutineAccess> byName, FrozenDictionary<string, RoutineAccess> byQualifiedName)
    {
        _byName = byName.GetAlternateLookup<ReadOnlySpan<char>>();
        _byQualifiedName = byQualifiedName.GetAlternateLookup<ReadOnlySpan<char>>();
        HasWriters = byName.Values.Contains(RoutineAccess.MayWrite);
        Count = byQualifiedName.Count;
    }

    /// <summary>No routines known (nothing loaded yet, or none visible).</summary>
    public static RoutineCatalog Empty { get; } = new(NoRoutines, NoRoutines);

    /// <summary>Whether any known function may modify data.</summary>
    public bool HasWriters { get; }

    /// <summary>How many functions it knows.</summary>
    public int Count { get; }

    /// <summary>The routines the primary shows this user.</summary>
    public static async Task<RoutineCatalog> LoadAsync(MySqlConnection primary, CancellationToken cancellationToken)
    {
        const string sql = "SELECT ROUTINE_SCHEMA, ROUTINE_NAME, ROUTINE_TYPE, SQL_DATA_ACCESS, ROUTINE_DEFINITION FROM information_schema.ROUTINES";
        var routines = new List<RoutineInfo>();
        using var command = new MySqlCommand(sql, primary);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            routines.Add(new RoutineInfo(
                reader.GetString(0),
                reader.GetString(1),
                string.Equals(reader.GetString(2), "FUNCTION", StringComparison.OrdinalIgnoreCase),
                reader.IsDBNull(3) ? "" : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }

        return From(routines);
    }

    /// <summary>A catalog of <paramref name="routines"/>, deciding transitively which functions may modify data.</summary>
    public static RoutineCatalog From(IEnumerable<RoutineInfo> routines)
    {
        var functions = new List<(RoutineInfo Info, bool MayWrite, List<(string Schema, string Name)> Calls)>();
        foreach (var routine in routines)
        {
            if (!routine.IsFunction)
                continue;   // a function that calls a procedure writes (CALL is a write): procedures need no entry
            var mayWrite = string.Equals(routine.SqlDataAccess, "MODIFIES SQL DATA", StringComparison.OrdinalIgnoreCase);
            var calls = new List<(string, string)>();
            if (routine.Definition is null)
                mayWrite |= !(string.Equals(routine.SqlDataAccess, "NO SQL", StringComparison.OrdinalIgnoreCase)
                    || string.Equals(routine.SqlDataAccess, "READS SQL DATA", StringComparison.OrdinalIgnoreCase));
            else
                mayWrite |= SqlClassifier.RoutineBodyWrites(routine.Definition, calls);
            functions.Add((routine, mayWrite, calls));
        }

        // A function that calls one that may write may write too (a qualified call to a function not listed is unknown:
        // it may write). Iterate to the fixed point: each round marks at least one more, or ends.
        var byQualifiedName = new Dictionary<string, RoutineAccess>(StringComparer.OrdinalIgnoreCase);
        var byName = new Dictionary<string, RoutineAccess>(StringComparer.OrdinalIgnoreCase);
        bool changed;
        do
        {
            byQualifiedName.Clear();
            byName.Clear();
            foreach (var (info, mayWrite, _) in functions)
            {
                var access = mayWrite ? RoutineAccess.MayWrite : RoutineAccess.ReadsOnly;
                Merge(byQualifiedName, info.Schema + Separator + info.Name, access);
                Merge(byName, info.Name, access);
            }

            changed = false;
            for (var i = 0; i < functions.Count; i++)
            {
                var function = functions[i];
                if (function.MayWrite)
                    continue;
                foreach (var (schema, name) in function.Calls)
                {
                    var access = schema.Length == 0
                        ? byName.GetValueOrDefault(name)
                        : byQualifiedName.GetValueOrDefault(schema + Separator + name);
                    if (access == RoutineAccess.MayWrite || (schema.Length > 0 && access == RoutineAccess.Unknown))
                    {
                        functions[i] = function with { MayWrite = true };
                        changed = true;
                        break;
                    }
                }
            }
        }
        while (changed);

        return new RoutineCatalog(
            byName.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase),
            byQualifiedName.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase));
    }

    /// <summary>What a call to <paramref name="name"/> (qualified with <paramref name="schema"/> unless it is empty) may do.</summary>
    /// <remarks>An unqualified name matches a function of that name in any schema: the strongest of them.</remarks>
    public RoutineAccess Lookup(ReadOnlySpan<char> schema, ReadOnlySpan<char> name)
    {
        if (schema.IsEmpty)
            return _byName.TryGetValue(name, out var access) ? access : RoutineAccess.Unknown;

        const int MaxKey = 256;   // identifiers are at most 64 characters: a longer key names nothing known
        if (schema.Length + 1 + name.Length > MaxKey)
            return RoutineAccess.Unknown;
        Span<char> key = stackalloc char[MaxKey];
        schema.CopyTo(key);
        key[schema.Length] = Separator;
        name.CopyTo(key[(schema.Length + 1)..]);
        return _byQualifiedName.TryGetValue(key[..(schema.Length + 1 + name.Length)], out var qualified) ? qualified : RoutineAccess.Unknown;
    }

    private static void Merge(Dictionary<string, RoutineAccess> map, string key, RoutineAccess access)
    {
        if (!map.TryGetValue(key, out var known) || access > known)
            map[key] = access;
    }
}
