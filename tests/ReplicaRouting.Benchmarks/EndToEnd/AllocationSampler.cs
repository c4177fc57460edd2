using System.Diagnostics.Tracing;

namespace ReplicaRouting.Benchmarks.EndToEnd;

/// <summary>
/// Where the bytes of an operation go, by type: the runtime's allocation sampling (one event per ~100 KB allocated, naming
/// the type that crossed the mark) over many operations of one side of a pair. <c>--only allocations</c> prints the types
/// the routed side allocates more of than the plain side: the per-command allocation sources of the routing layer.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly Dictionary<string, long> _bytesByType = new(StringComparer.Ordinal);
    private bool _recording;

    public static async Task<IReadOnlyList<(string Type, double RoutedBytesPerOp, double RawBytesPerOp)>> CompareAsync(string flavor, Pair pair, int operations)
    {
        await using var bench = Workbench.Create(flavor);
        var lane = new Lane(bench);
        try
        {
            if (pair.NeedsCausalPreparation)
                await lane.PrepareCausalAsync();
            var routed = await SampleAsync(lane, Pair.Operation(pair.Routed[0].Operation), operations);
            var raw = await SampleAsync(lane, Pair.Operation(pair.Baselines[0].Operation), operations);
            return routed.Keys.Union(raw.Keys)
                .Select(type => (type, routed.GetValueOrDefault(type) / (double)operations, raw.GetValueOrDefault(type) / (double)operations))
                .OrderByDescending(row => row.Item2 - row.Item3)
                .ToList();
        }
        finally
        {
            await lane.DisposeAsync();
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (!_recording || eventData.EventName?.StartsWith("GCAllocationTick", StringComparison.Ordinal) != true || eventData.Payload is null)
            return;
        var names = eventData.PayloadNames!;
        var type = eventData.Payload[names.IndexOf("TypeName")] as string ?? "?";
        var amount = Convert.ToInt64(eventData.Payload[names.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
        lock (_bytesByType)
            _bytesByType[type] = _bytesByType.GetValueOrDefault(type) + amount;
    }

    private static async Task<Dictionary<string, long>> SampleAsync(Lane lane, Func<Lane, Task<long>> operation, int operations)
    {
        for (var i = 0; i < 200; i++)
            await operation(lane);
        using var sampler = new AllocationSampler();
        await Task.Delay(200);   // the listener attaches asynchronously
        sampler._recording = true;
        for (var i = 0; i < operations; i++)
            await operation(lane);
        sampler._recording = false;
        lock (sampler._bytesByType)
            return new Dictionary<string, long>(sampler._bytesByType, StringComparer.Ordinal);
    }
}
