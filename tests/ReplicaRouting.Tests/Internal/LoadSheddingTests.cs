using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Internal;

/// <summary>The pieces that bound what a replayed token costs: the shared primary check, the memory of misses, the caps.</summary>
public sealed class LoadSheddingTests
{
    private static readonly GtidPosition Lacking = MariaDbGtidPosition.Parse("0-1-1000000");

    [Fact]
    public async Task Concurrent_checks_share_one_run_and_a_burst_costs_one_when_the_run_answers_it()
    {
        var flight = new SingleFlight();
        var release = new TaskCompletionSource();
        var answered = false;
        var runs = 0;
        async ValueTask Operation(bool async, CancellationToken token)
        {
            Interlocked.Increment(ref runs);
            await release.Task;
            answered = true;   // e.g. the position recorded as missing before anyone waiting looks again
        }

        var callers = Enumerable.Range(0, 50).Select(_ => flight.RunAsync(() => answered, Operation, async: true, CancellationToken.None).AsTask()).ToArray();
        release.SetResult();
        await Task.WhenAll(callers);

        Assert.Equal(1, runs);
    }

    [Fact]
    public async Task A_caller_is_served_by_a_run_that_started_after_it_arrived()
    {
        var flight = new SingleFlight();
        var first = new TaskCompletionSource();
        var runs = 0;
        async ValueTask Operation(bool async, CancellationToken token)
        {
            if (Interlocked.Increment(ref runs) == 1)
                await first.Task;
        }

        var early = flight.RunAsync(() => false, Operation, async: true, CancellationToken.None).AsTask();
        var late = flight.RunAsync(() => false, Operation, async: true, CancellationToken.None).AsTask();   // arrives while run 1 is in flight
        first.SetResult();
        await Task.WhenAll(early, late);

        Assert.Equal(2, runs);   // run 1 may predate what the late caller needs to see
    }

    [Fact]
    public async Task A_failed_run_fails_its_waiters_and_is_not_taken_for_an_answer()
    {
        var flight = new SingleFlight();
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            flight.RunAsync(() => false, (_, _) => ValueTask.FromException(new InvalidOperationException()), async: true, CancellationToken.None).AsTask());
        var ran = false;
        await flight.RunAsync(() => false, (_, _) => { ran = true; return ValueTask.CompletedTask; }, async: false, CancellationToken.None);
        Assert.True(ran);
    }

    [Fact]
    public void A_missing_position_is_remembered_for_one_to_two_intervals()
    {
        var clock = new FakeTimeProvider();
        var rejected = new RejectedPositions(clock, TimeSpan.FromSeconds(10), capacity: 16);
        rejected.Add(Lacking);
        clock.Advance(TimeSpan.FromSeconds(9.9));
        Assert.True(rejected.Contains(Lacking));
        clock.Advance(TimeSpan.FromSeconds(0.2));   // rotated once: still remembered
        Assert.True(rejected.Contains(Lacking));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(rejected.Contains(Lacking));
        Assert.False(rejected.Contains(MariaDbGtidPosition.Parse("0-1-5")));
    }

    [Fact]
    public void The_memory_is_bounded_by_two_buckets()   // the newest 2 x capacity, the oldest forgotten first
    {
        var rejected = new RejectedPositions(new FakeTimeProvider(), TimeSpan.FromSeconds(10), capacity: 4);
        for (var i = 0; i < 12; i++)
            rejected.Add(MariaDbGtidPosition.Parse($"0-1-{i + 1}"));
        Assert.Equal(8, Enumerable.Range(0, 12).Count(i => rejected.Contains(MariaDbGtidPosition.Parse($"0-1-{i + 1}"))));
    }

    [Fact]
    public void A_limit_refuses_beyond_its_cap_and_frees_on_exit()
    {
        var limit = new ConcurrencyLimit(2);
        Assert.True(limit.TryEnter());
        Assert.True(limit.TryEnter());
        Assert.False(limit.TryEnter());
        limit.Exit();
        Assert.True(limit.TryEnter());
        Assert.Equal(2, limit.Active);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(100_001)]
    public void The_caps_are_validated_with_their_name(int value)
    {
        var waits = Assert.Throws<ArgumentOutOfRangeException>(() => RoutingConfiguration.Validate(new ReplicaRoutingOptions { MaxConcurrentCausalWaits = value }));
        Assert.Contains("ReplicaRoutingOptions.MaxConcurrentCausalWaits", waits.Message, StringComparison.Ordinal);
        var fallbacks = Assert.Throws<ArgumentException>(() => new ReplicaRoutingConnectionStringBuilder { ["Max Concurrent Primary Fallbacks"] = value.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        Assert.Contains("Max Concurrent Primary Fallbacks", fallbacks.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_active_gauges_go_down_while_the_slot_is_still_held_so_they_never_show_more_than_the_cap()
    {
        using var dataSource = new ReplicaRoutingDataSourceBuilder()
            .UsePrimary("Server=127.0.0.1;Port=1;User ID=app")
            .Configure(o => o.TopologyMonitor = false)
            .Build();
        var shedding = dataSource.Shedding;
        var heldWhenReported = new List<(string Gauge, int Active)>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "ReplicaRouting" && instrument.Name.EndsWith(".active", StringComparison.Ordinal))
                    l.EnableMeasurementEvents(instrument);
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        listener.Start();

        Assert.True(shedding.TryBeginCausalWait());
        shedding.EndCausalWait();
        shedding.BeginPrimaryFallback(dataSource.Configuration.Primary);
        shedding.EndPrimaryFallback();

        // A gauge that went down after the slot was freed could be counted up by the next holder first: cap + 1 for a moment.
        Assert.Equal(new[] { ("replicarouting.causal_waits.active", 1), ("replicarouting.primary_fallbacks.active", 1) }, heldWhenReported);

        void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (value < 0 && tags.ToArray().Any(t => t.Key == "replicarouting.cluster" && Equals(t.Value, dataSource.ClusterId)))
            {
                var limit = instrument.Name.Contains("causal", StringComparison.Ordinal) ? shedding.CausalWaits : shedding.PrimaryFallbacks;
                heldWhenReported.Add((instrument.Name, limit.Active));
            }
        }
    }
}
