using System.Globalization;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>
/// <c>./build.sh check</c>: the consistency checker on the failover set. For each flavor and mode it prints one
/// <c>RESULT check=consistency …</c> line on stdout (progress on stderr) and exits 1 if a mode broke what it promises.
/// </summary>
internal static class Program
{
    private const string Usage =
        "usage: check [--ops N] [--flavor mariadb|mysql] [--faults lag,kill-replica,failover|none] [--modes m1,m2,...] [--users N]";

    private static async Task<int> Main(string[] args)
    {
        var flavors = new List<string> { TopologyConfig.MariaDb, TopologyConfig.MySql };
        IReadOnlyList<FaultKind> faults = [FaultKind.Lag];
        IReadOnlyList<CheckMode> modes = CheckMode.All;
        var options = new CausalityCheckOptions { Operations = 20_000 };
        try
        {
            for (var i = 0; i < args.Length; i++)
            {
                var value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
                switch (args[i - 1])
                {
                    case "--ops": options = options with { Operations = PositiveNumber(value) }; break;
                    case "--users": options = options with { Users = PositiveNumber(value) }; break;
                    case "--flavor": flavors = [value is TopologyConfig.MariaDb or TopologyConfig.MySql ? value : throw new ArgumentException($"Unknown flavor '{value}'.")]; break;
                    case "--faults": faults = FaultInjector.Parse(value); break;
                    case "--modes": modes = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(CheckMode.Parse).ToArray(); break;
                    default: throw new ArgumentException($"Unknown option '{args[i - 1]}'.");
                }
            }
        }
        catch (ArgumentException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        var broken = new List<string>();
        foreach (var flavor in flavors)
        {
            foreach (var mode in modes)
            {
                Console.Error.WriteLine($"{flavor} {mode.Name}: {options.Operations} operations, {options.Users} users, faults {FaultInjector.Names(faults)}");
                var (check, injected) = await CheckRun.OnFailoverSetAsync(flavor, mode, faults, options, Console.Error);
                Console.WriteLine(check.ToResultLine(flavor, FaultInjector.Names(faults)));
                Console.Error.WriteLine($"  {check}");
                Console.Error.WriteLine($"  injected: {injected}");
                if (check.BrokePromise)
                    broken.Add($"{flavor} {mode.Name}");
            }
        }

        if (broken.Count == 0)
            return 0;
        Console.Error.WriteLine($"FAILED: a mode broke what it promises: {string.Join(", ", broken)}");
        return 1;
    }

    private static int PositiveNumber(string text) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"'{text}' is not a positive number.");
}
