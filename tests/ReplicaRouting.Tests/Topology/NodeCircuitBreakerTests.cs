using Microsoft.Extensions.Time.Testing;
using MySqlConnector;

namespace ReplicaRouting.Tests.Topology;

/// <summary>The per-node Polly circuit breaker: off the path of a healthy node, counting once the node has failed.</summary>
public sealed class NodeCircuitBreakerTests
{
    private readonly FakeTimeProvider _clock = new(DateTimeOffset.Parse("2026-11-25T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void A_healthy_node_is_not_suspect_and_its_reads_skip_the_breaker()
    {
        using var node = TopologyTestNodes.Node(1, RouteTarget.Replica, _clock);
        Assert.False(node.IsSuspect);
        Assert.True(node.IsAvailable);
    }

    [Fact]
    public async Task Repeated_connection_failures_open_the_breaker_and_the_node_is_skipped_until_it_half_opens()
    {
        using var node = TopologyTestNodes.Node(1, RouteTarget.Replica, _clock, breakDuration: TimeSpan.FromSeconds(2));
        var lost = await RefusedConnectionAsync();

        await node.ReportFailureAsync(lost);
        Assert.True(node.IsSuspect);
        Assert.True(node.IsAvailable);   // one failure is below the breaker's minimum throughput

        for (var i = 0; i < 3; i++)
            await node.ReportFailureAsync(lost);
        Assert.False(node.IsAvailable);   // 4 of 4 failed within the window: open

        _clock.Advance(TimeSpan.FromSeconds(2.1));
        Assert.True(node.IsAvailable);    // half-open: one trial read may go
    }

    /// <summary>A real connection failure: MySqlConnector's exceptions have no public constructor, and loopback refuses at once.</summary>
    private static async Task<MySqlException> RefusedConnectionAsync()
    {
        await using var connection = new MySqlConnection($"Server=127.0.0.1;Port={ClosedPort()};ConnectionTimeout=5;Pooling=false");
        return await Assert.ThrowsAsync<MySqlException>(() => connection.OpenAsync());
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
