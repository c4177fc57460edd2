using Microsoft.Extensions.Time.Testing;
using ReplicaRouting.AspNetCore.Internal;

namespace ReplicaRouting.IntegrationTests;

/// <summary>A repeated token is logged once per interval, with the count of the requests it held back (fake clock, no server).</summary>
public sealed class LogLimiterTests
{
    [Fact]
    public void One_line_per_interval_then_the_next_says_how_many_were_held_back()
    {
        var clock = new FakeTimeProvider();
        var limiter = new LogLimiter(clock, ReplicaRoutingMiddleware.RepeatedTokenLogInterval);

        Assert.True(limiter.TryEnter(out var heldBack));
        Assert.Equal(0, heldBack);
        for (var i = 0; i < 1000; i++)
        {
            Assert.False(limiter.TryEnter(out _));
            clock.Advance(ReplicaRoutingMiddleware.RepeatedTokenLogInterval / 2000);
        }

        clock.Advance(ReplicaRoutingMiddleware.RepeatedTokenLogInterval / 2);
        Assert.True(limiter.TryEnter(out heldBack));
        Assert.Equal(1000, heldBack);
        Assert.False(limiter.TryEnter(out _));
    }
}
