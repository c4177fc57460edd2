using System.Data;
using Dapper;
using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests;

/// <summary>
/// A <see cref="ReplicaRoutingCommand"/> runs on a MySqlConnector command it borrows from its connection, per node, and gives
/// back once its results are read. These tests hold the borrowing to what a command of one's own would do. Runs once per flavor.
/// </summary>
public abstract class CommandReuseTests(TopologyFixture topology) : IDisposable
{
    private readonly ReplicaRoutingDataSource _dataSource = topology.CreateDataSource();

    public void Dispose()
    {
        _dataSource.Dispose();
        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task While_a_reader_is_open_another_command_fails_as_on_MySqlConnector_wherever_either_would_run()
    {
        await using var plain = new MySqlConnection(topology.Config.ConnectionString(topology.Config.PrimaryEndpoint));
        await plain.OpenAsync();
        await using var routed = await _dataSource.OpenConnectionAsync();
        foreach (var connection in new System.Data.Common.DbConnection[] { plain, routed })
        {
            await using var read = connection.CreateCommand();
            read.CommandText = "SELECT 1 UNION ALL SELECT 2";
            var name = "busy-" + Guid.NewGuid().ToString("N");
            await using (var reader = await read.ExecuteReaderAsync())
            {
                Assert.True(await reader.ReadAsync());

                // A write would go to the primary and the reader is on a replica: it still fails, as it does on one connection.
                var busy = await Assert.ThrowsAsync<InvalidOperationException>(() =>
                    connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES (@name, 1)", new { name }));
                Assert.StartsWith("This MySqlConnection is already in use", busy.Message);
                Assert.True(await reader.ReadAsync());
                Assert.False(await reader.ReadAsync());
            }

            Assert.Equal(1, await connection.ExecuteAsync("INSERT INTO items (name, written_by) VALUES (@name, 1)", new { name }));
        }
    }

    [Fact]
    public async Task A_command_runs_again_with_new_values_and_a_renamed_parameter()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT @a + @b";
        var a = command.Parameters.AddWithValue("@a", 1);
        var b = command.Parameters.AddWithValue("b", 2);
        Assert.Equal(3L, Convert.ToInt64(await command.ExecuteScalarAsync()));

        a.Value = 10;
        Assert.Equal(12L, Convert.ToInt64(await command.ExecuteScalarAsync()));

        b.ParameterName = "@c";
        command.CommandText = "SELECT @a + @c";
        Assert.Same(b, command.Parameters["c"]);
        Assert.Equal(-1, command.Parameters.IndexOf("@b"));
        Assert.Equal(12L, Convert.ToInt64(await command.ExecuteScalarAsync()));
        Assert.Equal(12L, Convert.ToInt64(command.ExecuteScalar()));
    }

    [Fact]
    public async Task Two_parameters_with_one_name_fail_by_name_and_leave_the_connection_usable()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT @x";
        command.Parameters.AddWithValue("@x", 1);
        var duplicate = command.Parameters.AddWithValue("@X", 2);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => command.ExecuteScalarAsync());
        Assert.Contains("x", error.Message, StringComparison.OrdinalIgnoreCase);

        command.Parameters.Remove(duplicate);
        Assert.Equal(1L, Convert.ToInt64(await command.ExecuteScalarAsync()));
        Assert.Equal(5L, await connection.ExecuteScalarAsync<long>("SELECT @y", new { y = 5 }));
    }

    [Fact]
    public async Task Cancel_reaches_the_running_command_and_not_the_next_one_on_the_same_node()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await using var finished = connection.CreateCommand();
        finished.CommandText = "SELECT 1";
        finished.RoutingHint = RoutingHint.ReadFromPrimary;   // both on one node: they borrow the same MySqlConnector command
        Assert.Equal(1L, Convert.ToInt64(await finished.ExecuteScalarAsync()));

        await using var sleeper = connection.CreateCommand();
        sleeper.CommandText = "SELECT SLEEP(1)";
        sleeper.RoutingHint = RoutingHint.ReadFromPrimary;
        var running = sleeper.ExecuteScalarAsync();
        await Task.Delay(300);
        finished.Cancel();   // finished long ago: must not kill the sleeper's query
        Assert.Equal(0L, Convert.ToInt64(await running));

        var interrupted = sleeper.ExecuteScalarAsync();
        await Task.Delay(300);
        sleeper.Cancel();
        try
        {
            Assert.Equal(1L, Convert.ToInt64(await interrupted));   // SLEEP() killed early returns 1
        }
        catch (MySqlException ex) when (ex.ErrorCode == MySqlErrorCode.QueryInterrupted)
        {
            // or the server reports the interruption
        }
    }

    [Fact]
    public async Task Output_parameters_of_a_stored_procedure_reach_the_callers_objects()
    {
        await using var connection = await _dataSource.OpenConnectionAsync();
        await connection.ExecuteAsync("CREATE PROCEDURE IF NOT EXISTS rr_double(IN x INT, OUT y INT) SET y = x * 2");
        await using var command = connection.CreateCommand();
        command.CommandText = "rr_double";
        command.CommandType = CommandType.StoredProcedure;
        command.Parameters.AddWithValue("@x", 21);
        var y = command.Parameters.Add("@y", MySqlDbType.Int32);
        y.Direction = ParameterDirection.Output;

        await command.ExecuteNonQueryAsync();

        Assert.Equal(42, Convert.ToInt32(y.Value));
        Assert.Equal(RouteTarget.Primary, connection.LastRoutingDecision!.Value.Target);
    }

    [Fact]
    public async Task The_command_timeout_defaults_to_the_connection_strings()
    {
        await using var dataSource = topology.CreateDataSource(extraConnectionOptions: "Default Command Timeout=7");
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var command = connection.CreateCommand();
        Assert.Equal(7, command.CommandTimeout);
        command.CommandTimeout = 0;
        Assert.Equal(0, command.CommandTimeout);
        Assert.Equal(30, new ReplicaRoutingCommand().CommandTimeout);
        Assert.Throws<ArgumentOutOfRangeException>(() => command.CommandTimeout = -1);
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbCommandReuseTests(MariaDbTopology topology) : CommandReuseTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlCommandReuseTests(MySqlTopology topology) : CommandReuseTests(topology);
