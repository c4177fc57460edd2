namespace ReplicaRouting.Internal;

/// <summary>
/// How long one replica takes to apply a write, as routing can tell: the larger of the monitor's measured lag and a delay
/// learned from the GTID waits sent to it. A wait that clearly blocked measures the delay (the write's age when it was sent
/// plus the time it spent beyond a round trip); one that timed out raises it to at least that; one that found the write applied can
/// only lower it. The learned part halves every <see cref="HalfLife"/>, so one slow moment does not send reads to the
/// primary for long: the next wait it allows measures again. Thread-safe.
/// </summary>
internal sealed class ApplyDelayEstimator(TimeProvider timeProvider)
{
    public static readonly TimeSpan HalfLife = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private double _learned;       // seconds, as of _learnedAt
    private long _learnedAt;
    private double _roundTrip = double.PositiveInfinity;   // the shortest round trip seen, in seconds

    /// <summary>The learned delay now (decayed).</summary>
    public TimeSpan Learned
    {
        get
        {
            lock (_lock)
                return TimeSpan.FromSeconds(DecayedLocked(timeProvider.GetTimestamp()));
        }
    }

    /// <summary>The expected apply delay: the monitor's measured lag (null: unknown, counts as none here) or the learned delay, whichever is larger.</summary>
    public TimeSpan Estimate(TimeSpan? measuredLag)
    {
        var learned = Learned;
        return measuredLag is { } lag && lag > learned ? lag : learned;
    }

    /// <summary>A round trip to the replica that did not wait for anything (a probe, a wait that did not block).</summary>
    public void ObserveRoundTrip(TimeSpan roundTrip)
    {
        lock (_lock)
            _roundTrip = Math.Min(_roundTrip, roundTrip.TotalSeconds);
    }

    /// <summary>A wait sent when the write was <paramref name="writeAge"/> old answered "applied" after <paramref name="waited"/>.</summary>
    public void WaitReached(TimeSpan writeAge, TimeSpan waited)
    {
        var now = timeProvider.GetTimestamp();
        lock (_lock)
        {
            var seconds = waited.TotalSeconds;
            var beyondRoundTrip = double.IsFinite(_roundTrip) ? Math.Max(0, seconds - _roundTrip) : 0;

            // It blocked when it took longer than a round trip by more than a round trip and more than the write's age: less
            // could be noise, and a write that old may have been applied before the wait was sent.
            var blocked = beyondRoundTrip > Math.Max(_roundTrip, writeAge.TotalSeconds);
            var sample = writeAge.TotalSeconds + beyondRoundTrip;
            _roundTrip = Math.Min(_roundTrip, seconds);
            SetLocked(blocked ? sample : Math.Min(DecayedLocked(now), sample), now);
        }
    }

    /// <summary>A wait sent when the write was <paramref name="writeAge"/> old ran out after <paramref name="timeout"/>: the delay is longer.</summary>
    public void WaitTimedOut(TimeSpan writeAge, TimeSpan timeout)
    {
        var now = timeProvider.GetTimestamp();
        lock (_lock)
            SetLocked(Math.Max(DecayedLocked(now), (writeAge + timeout).TotalSeconds), now);
    }

    private double DecayedLocked(long now)
    {
        if (_learned == 0)
            return 0;
        var elapsed = (double)(now - _learnedAt) / timeProvider.TimestampFrequency;
        return _learned * Math.Pow(0.5, Math.Max(0, elapsed) / HalfLife.TotalSeconds);
    }

    private void SetLocked(double seconds, long now) => (_learned, _learnedAt) = (seconds, now);
}
