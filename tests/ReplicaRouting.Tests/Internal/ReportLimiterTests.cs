using Microsoft.Extensions.Time.Testing;
using ReplicaRouting.Internal;

namespace ReplicaRouting.Tests.Internal;

/// <summary>An event a client can repeat on every request is logged once per interval, with how many occurred (fake clock).</summary>
public sealed class ReportLimiterTests
{
    [Fact]
    public void One_report_per_interval_then_the_next_counts_every_event_since_the_last()
    {
        var clock = new FakeTimeProvider();
        var interval = TimeSpan.FromMinutes(1);
        var limiter = new ReportLimiter(clock, interval);

        Assert.True(limiter.ShouldReport(out var count));
        Assert.Equal(1, count);
        for (var i = 0; i < 1000; i++)
        {
            Assert.False(limiter.ShouldReport(out _));
            clock.Advance(interval / 2000);
        }

        clock.Advance(interval / 2);
        Assert.True(limiter.ShouldReport(out count));
        Assert.Equal(1001, count);   // the 1000 held back and this one
        Assert.False(limiter.ShouldReport(out _));
    }
}
