namespace ReplicaRouting.Tests;

public class ReplicaRoutingDataSourceBuilderTests
{
    private const string Primary = "Server=127.0.0.1;Port=1;User ID=app;Password=secret;Database=shop";

    [Fact]
    public void Build_without_a_primary_fails_clearly()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new ReplicaRoutingDataSourceBuilder().AddReplica(Primary).Build());
        Assert.Contains("UsePrimary", ex.Message);
    }

    [Fact]
    public void A_malformed_replica_connection_string_names_the_node_and_key_but_not_the_password()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ReplicaRoutingDataSourceBuilder()
            .UsePrimary(Primary)
            .AddReplica("Server=db2;Password=hunter2")
            .AddReplica("Server=db3;Password=hunter2;Frobnicate=yes")
            .Build());
        Assert.Contains("replica 2", ex.Message);
        Assert.Contains("frobnicate", ex.Message, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("hunter2", ex.Message);
    }

    [Fact]
    public void A_connection_string_without_a_server_is_rejected()
    {
        var ex = Assert.Throws<ArgumentException>(() => new ReplicaRoutingDataSourceBuilder().UsePrimary("User ID=app").Build());
        Assert.Contains("primary", ex.Message);
        Assert.Contains("Server", ex.Message);
    }

    [Fact]
    public void Out_of_range_options_name_the_option()
    {
        var builder = new ReplicaRoutingDataSourceBuilder().UsePrimary(Primary);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => builder.Configure(o => o.FailedReplicaBackoff = TimeSpan.FromSeconds(-1)).Build());
        Assert.Contains(nameof(ReplicaRoutingOptions.FailedReplicaBackoff), ex.Message);

        var undefined = Assert.Throws<ArgumentException>(() => new ReplicaRoutingDataSourceBuilder().UsePrimary(Primary)
            .Configure(o => o.Consistency = (ReadConsistency)42).Build());
        Assert.Contains(nameof(ReplicaRoutingOptions.Consistency), undefined.Message);
    }

    [Fact]
    public void The_exposed_connection_string_has_no_password()
    {
        using var dataSource = new ReplicaRoutingDataSourceBuilder().UsePrimary(Primary).Build();
        Assert.DoesNotContain("secret", dataSource.ConnectionString);
        Assert.Contains("shop", dataSource.ConnectionString);
    }

    [Fact]
    public void The_default_is_read_your_writes_never_a_plain_split()
    {
        using var dataSource = new ReplicaRoutingDataSourceBuilder().UsePrimary(Primary).AddReplica(Primary).Build();
        Assert.Equal(ReadConsistency.ReadYourWrites, dataSource.Consistency);
    }

    [Fact]
    public async Task Opening_takes_no_physical_connection()
    {
        // Port 1 refuses connections: opening still succeeds because nothing is connected until a command runs.
        await using var dataSource = new ReplicaRoutingDataSourceBuilder().UsePrimary(Primary).Build();
        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal(System.Data.ConnectionState.Open, connection.State);
        Assert.Null(connection.LastRoutingDecision);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1";
        // Nothing was sent: a primary that cannot be reached is reported as such (fast, and retryable by type).
        var failure = await Assert.ThrowsAsync<PrimaryUnavailableException>(() => command.ExecuteScalarAsync());
        Assert.True(failure.IsTransient);
    }
}
