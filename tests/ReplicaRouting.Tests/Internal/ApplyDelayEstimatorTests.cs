using Microsoft.Extensions.Time.Testing;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Internal;

public sealed class ApplyDelayEstimatorTests
{
    private static readonly TimeSpan RoundTrip = TimeSpan.FromMilliseconds(0.2);

    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Knows_nothing_at_first_and_takes_the_measured_lag()
    {
        var estimator = new ApplyDelayEstimator(_time);
        Assert.Equal(TimeSpan.Zero, estimator.Estimate(null));
        Assert.Equal(TimeSpan.FromSeconds(3), estimator.Estimate(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public void A_wait_that_blocked_measures_the_delay_beyond_the_round_trip()
    {
        var estimator = Estimator();
        estimator.WaitReached(writeAge: TimeSpan.FromMilliseconds(0.1), waited: TimeSpan.FromMilliseconds(2.2));
        Assert.Equal(2.1, estimator.Estimate(null).TotalMilliseconds, precision: 6);
        Assert.Equal(TimeSpan.FromSeconds(1), estimator.Estimate(TimeSpan.FromSeconds(1)));   // the monitor's lag wins when larger
    }

    [Fact]
    public void A_wait_that_found_the_write_applied_only_lowers_the_estimate()
    {
        var estimator = Estimator();
        estimator.WaitReached(TimeSpan.FromMilliseconds(0.1), TimeSpan.FromMilliseconds(10.2));   // blocked: 10.1 ms
        estimator.WaitReached(TimeSpan.FromMilliseconds(50), RoundTrip);                           // applied long ago: no news
        Assert.Equal(10.1, estimator.Estimate(null).TotalMilliseconds, precision: 6);
        estimator.WaitReached(TimeSpan.FromMilliseconds(4), RoundTrip);                            // applied within 4 ms: at most that
        Assert.Equal(4, estimator.Estimate(null).TotalMilliseconds, precision: 6);
    }

    [Fact]
    public void A_slow_answer_to_a_wait_for_an_old_write_is_noise_not_delay()
    {
        var estimator = Estimator();
        estimator.WaitReached(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(20));   // a write that old was applied before: the machine was slow
        Assert.Equal(TimeSpan.Zero, estimator.Estimate(null));
    }

    [Fact]
    public void A_wait_that_timed_out_raises_the_estimate_to_at_least_its_age_plus_the_timeout()
    {
        var estimator = Estimator();
        estimator.WaitTimedOut(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(50));
        Assert.Equal(60, estimator.Estimate(null).TotalMilliseconds, precision: 6);
        estimator.WaitTimedOut(TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(50));   // a lower bound below what is known: no change
        Assert.Equal(60, estimator.Estimate(null).TotalMilliseconds, precision: 6);
    }

    [Fact]
    public void The_learned_delay_halves_every_half_life()
    {
        var estimator = Estimator();
        estimator.WaitTimedOut(TimeSpan.Zero, TimeSpan.FromMilliseconds(400));
        _time.Advance(ApplyDelayEstimator.HalfLife);
        Assert.Equal(200, estimator.Estimate(null).TotalMilliseconds, precision: 3);
        _time.Advance(ApplyDelayEstimator.HalfLife * 2);
        Assert.Equal(50, estimator.Estimate(null).TotalMilliseconds, precision: 3);
        Assert.Equal(TimeSpan.FromMilliseconds(80), estimator.Estimate(TimeSpan.FromMilliseconds(80)));
    }

    [Fact]
    public void Without_a_known_round_trip_a_reached_wait_teaches_only_an_upper_bound()
    {
        var estimator = new ApplyDelayEstimator(_time);
        estimator.WaitTimedOut(TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
        estimator.WaitReached(TimeSpan.FromMilliseconds(5), TimeSpan.FromMilliseconds(3));   // the first round trip seen: cannot tell a wait from it
        Assert.Equal(5, estimator.Estimate(null).TotalMilliseconds, precision: 6);
    }

    private ApplyDelayEstimator Estimator()
    {
        var estimator = new ApplyDelayEstimator(_time);
        estimator.ObserveRoundTrip(RoundTrip);
        return estimator;
    }
}
