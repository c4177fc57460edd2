using System.Data;
using System.Data.Common;
using System.Transactions;
using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;
using Xunit.Abstractions;
using IsolationLevel = System.Data.IsolationLevel;

namespace ReplicaRouting.IntegrationTests.Differential;

/// <summary>
/// The ADO.NET contract by difference (issue 11, "Contract differences"): each probe drives a fresh, closed connection of
/// either kind through one part of the contract (connection string, GetSchema, events, state rules, command and parameter
/// rules, DbProviderFactory, TransactionScope) and writes down what it observed; plain MySqlConnector is the oracle. The
/// routed connection comes from a ReadYourWrites data source inside a session. Runs once per flavor.
/// </summary>
public abstract class ContractDifferentialTests(TopologyFixture topology, ITestOutputHelper output)
{
    private delegate Task Probe(DbConnection connection, string table, List<string> lines);

    private static readonly Dictionary<string, Probe> s_probes = new()
    {
        ["connection_string_set_while_closed"] = (connection, _, lines) =>
        {
            Note(lines, "get", () => connection.ConnectionString.Length > 0);
            Note(lines, "set to its own value", () =>
            {
                connection.ConnectionString = connection.ConnectionString;
            });
            Note(lines, "Open after the set", () => connection.Open());
            return Task.CompletedTask;
        },

        ["closed_connection_properties"] = (connection, _, lines) =>
        {
            Note(lines, "State", () => connection.State);
            Note(lines, "Database", () => connection.Database);
            Note(lines, "DataSource", () => connection.DataSource);
            Note(lines, "ServerVersion", () => connection.ServerVersion);
            Note(lines, "CreateCommand().ExecuteScalar()", () =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT 1";
                return command.ExecuteScalar();
            });
            return Task.CompletedTask;
        },

        ["state_change_events"] = async (connection, _, lines) =>
        {
            connection.StateChange += (_, e) => lines.Add($"StateChange {e.OriginalState} -> {e.CurrentState}");
            await connection.OpenAsync();
            Note(lines, "Open again", () => connection.Open());
            await connection.CloseAsync();
            await connection.CloseAsync();
            connection.Open();
            connection.Close();
        },

        ["dispose_async_raises_disposed"] = async (connection, _, lines) =>
        {
            connection.Disposed += (_, _) => lines.Add("Disposed raised");
            await connection.OpenAsync();
            await connection.DisposeAsync();
            Note(lines, "State after DisposeAsync", () => connection.State);
            Note(lines, "Open after DisposeAsync", () => connection.Open());
        },

        ["dispose_raises_disposed"] = (connection, _, lines) =>
        {
            connection.Disposed += (_, _) => lines.Add("Disposed raised");
            connection.Open();
            connection.Dispose();
            Note(lines, "State after Dispose", () => connection.State);
            return Task.CompletedTask;
        },

        ["get_schema"] = async (connection, _, lines) =>
        {
            await connection.OpenAsync();
            Note(lines, "GetSchema() collections", () => string.Join(",", connection.GetSchema().Rows.Cast<DataRow>().Select(r => r[0]).Order()));
            Note(lines, "GetSchema(\"DataTypes\") rows", () => connection.GetSchema("DataTypes").Rows.Count);
            Note(lines, "GetSchema(\"Restrictions\") rows", () => connection.GetSchema("Restrictions").Rows.Count);
        },

        ["db_provider_factory"] = async (connection, _, lines) =>
        {
            await connection.OpenAsync();
            var factory = DbProviderFactories.GetFactory(connection);
            lines.Add($"factory: {(factory is null ? "null" : "present")}");
            if (factory is null)
                return;
            Note(lines, "CreateConnection() is the same kind", () => factory.CreateConnection()?.GetType() == connection.GetType());
            Note(lines, "CanCreateCommandBuilder", () => factory.CanCreateCommandBuilder);
            Note(lines, "CanCreateDataAdapter", () => factory.CanCreateDataAdapter);
            Note(lines, "CanCreateBatch", () => factory.CanCreateBatch);
        },

        ["command_rules_while_a_reader_is_open"] = async (connection, _, lines) =>
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT 1 UNION ALL SELECT 2";
            await using (var reader = await command.ExecuteReaderAsync())
            {
                Note(lines, "Read", () => reader.Read());
                Note(lines, "set CommandText", () => command.CommandText = "SELECT 3");
                Note(lines, "set Connection", () => command.Connection = null);
                Note(lines, "second reader on the connection", () =>
                {
                    using var other = connection.CreateCommand();
                    other.CommandText = "SELECT 4";
                    return other.ExecuteScalar();
                });
            }

            Note(lines, "CommandText afterwards", () => command.CommandText);
        },

        ["prepare_and_parameter_rules"] = async (connection, _, lines) =>
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            Note(lines, "Prepare() without text", () => command.Prepare());
            command.CommandText = "SELECT @a";
            var parameter = command.CreateParameter();
            parameter.ParameterName = "@a";
            parameter.Value = 1;
            command.Parameters.Add(parameter);
            Note(lines, "Parameters.Remove(null)", () => command.Parameters.Remove(null!));
            Note(lines, "Parameters.Remove(a foreign object)", () => command.Parameters.Remove("not a parameter"));
            Note(lines, "Parameters.Add(null)", () => command.Parameters.Add(null!));
            Note(lines, "Parameters[\"@missing\"]", () => command.Parameters["@missing"]);
            Note(lines, "Parameters.RemoveAt(\"@missing\")", () => command.Parameters.RemoveAt("@missing"));
            Note(lines, "Parameters.Contains(\"a\")", () => command.Parameters.Contains("a"));
            Note(lines, "ExecuteScalar", () => command.ExecuteScalar());
            Note(lines, "CommandTimeout = -1", () => command.CommandTimeout = -1);
        },

        ["transaction_scope"] = async (connection, table, lines) =>
        {
            using (new TransactionScope(TransactionScopeOption.Required, new TransactionOptions { IsolationLevel = System.Transactions.IsolationLevel.ReadCommitted }, TransactionScopeAsyncFlowOption.Enabled))
            {
                await Try(lines, "open in the scope", () => connection.OpenAsync());
                await Try(lines, "insert", async () => Count(await ExecuteAsync(connection, $"INSERT INTO {table} (id, tag) VALUES (90, 'scope')", scalar: false)));
                await Try(lines, "count in the scope", async () => Count(await ExecuteAsync(connection, $"SELECT COUNT(*) FROM {table} WHERE id = 90", scalar: true)));
                // not completed: rolled back
            }

            await connection.CloseAsync();
            await connection.OpenAsync();
            await Try(lines, "count after the scope", async () => Count(await ExecuteAsync(connection, $"SELECT COUNT(*) FROM {table} WHERE id = 90", scalar: true)));
        },

        ["isolation_level_and_nested_transactions"] = async (connection, _, lines) =>
        {
            await connection.OpenAsync();
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.Serializable);
            Note(lines, "IsolationLevel", () => transaction.IsolationLevel);
            Note(lines, "nested BeginTransaction", () => connection.BeginTransaction());
            Note(lines, "command without Transaction", () =>
            {
                using var command = connection.CreateCommand();
                command.CommandText = "SELECT 1";
                return command.ExecuteScalar();
            });
            await transaction.CommitAsync();
            Note(lines, "Commit twice", () => transaction.Commit());
            Note(lines, "Connection after commit", () => transaction.Connection is null ? "null" : "set");
        },
    };

    private readonly DifferentialRunner _runner = new(topology);

    public static TheoryData<string> Probes => new(s_probes.Keys);

    [Theory]
    [MemberData(nameof(Probes))]
    public async Task Routed_connection_keeps_the_ADO_NET_contract_of_MySqlConnection(string probe)
    {
        var script = new Script(probe, ["CREATE TABLE {t} (id INT PRIMARY KEY, tag VARCHAR(20) NOT NULL) ENGINE=InnoDB"], []);

        var plainLines = new List<string>();
        var prefix = DifferentialRunner.NewPrefix();
        try
        {
            await _runner.SetupAsync(script, prefix);
            var plain = new MySqlConnection(topology.Config.ConnectionString(topology.Config.PrimaryEndpoint, DifferentialRunner.ConnectionOptions));
            await Run(s_probes[probe], plain, prefix, plainLines);
        }
        finally
        {
            await _runner.TeardownAsync(prefix);
        }

        var routedLines = new List<string>();
        prefix = DifferentialRunner.NewPrefix();
        try
        {
            await _runner.SetupAsync(script, prefix);
            await topology.WaitForReplicasAsync();
            await using var dataSource = topology.CreateDataSource(o => o.Consistency = ReadConsistency.ReadYourWrites, DifferentialRunner.ConnectionOptions);
            using var session = dataSource.BeginSession();
            var routed = dataSource.CreateConnection();
            await Run(s_probes[probe], routed, prefix, routedLines);
        }
        finally
        {
            await _runner.TeardownAsync(prefix);
        }

        output.WriteLine("plain : " + string.Join(Environment.NewLine + "        ", plainLines));
        output.WriteLine("routed: " + string.Join(Environment.NewLine + "        ", routedLines));
        var line = 0;
        while (line < plainLines.Count && line < routedLines.Count && plainLines[line] == routedLines[line])
            line++;
        if (line < plainLines.Count || line < routedLines.Count)
        {
            Assert.Fail($"[{topology.Flavor}] DIVERGENCE in contract probe '{probe}' at observation {line + 1}:{Environment.NewLine}" +
                $"  plain : {(line < plainLines.Count ? plainLines[line] : "(nothing more)")}{Environment.NewLine}" +
                $"  routed: {(line < routedLines.Count ? routedLines[line] : "(nothing more)")}");
        }
    }

    private static async Task Run(Probe probe, DbConnection connection, string prefix, List<string> lines)
    {
        try
        {
            await probe(connection, prefix, lines);
        }
        catch (Exception ex)
        {
            lines.Add("probe ended: " + Observations.Error(ex));
        }
        finally
        {
            await connection.DisposeAsync();
        }

        for (var i = 0; i < lines.Count; i++)
            lines[i] = lines[i].Replace(prefix, "{t}", StringComparison.Ordinal);
    }

    private static void Note(List<string> lines, string what, Func<object?> probe)
    {
        try
        {
            lines.Add($"{what}: {Observations.Format(probe())}");
        }
        catch (Exception ex)
        {
            lines.Add($"{what}: {Observations.Error(ex)}");
        }
    }

    private static void Note(List<string> lines, string what, Action probe) => Note(lines, what, () =>
    {
        probe();
        return "ok";
    });

    private static async Task Try(List<string> lines, string what, Func<Task<string>> probe)
    {
        try
        {
            lines.Add($"{what}: {await probe()}");
        }
        catch (Exception ex)
        {
            lines.Add($"{what}: {Observations.Error(ex)}");
        }
    }

    private static async Task Try(List<string> lines, string what, Func<Task> probe) => await Try(lines, what, async () =>
    {
        await probe();
        return "ok";
    });

    private static string Count(object? value) => Observations.Format(value);

    private static async Task<object?> ExecuteAsync(DbConnection connection, string sql, bool scalar)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return scalar ? await command.ExecuteScalarAsync() : await command.ExecuteNonQueryAsync();
    }
}

/// <summary>
/// Not a difference from plain MySqlConnector (it has no such property) but the same promise seen from the other side: a
/// routed connection's <see cref="ReplicaRoutingConnection.LastRoutingDecision"/> names the server that actually ran the
/// statement (issue 11: a read-only transaction after a write reported Replica/ReadOnlyTransaction while it ran on the primary).
/// </summary>
public abstract class RoutingDecisionTruthTests(TopologyFixture topology)
{
    [Fact]
    public async Task LastRoutingDecision_names_the_server_that_ran_the_statement_in_a_read_only_transaction_after_a_write()
    {
        await using var dataSource = topology.CreateDataSource(o => o.Consistency = ReadConsistency.ReadYourWrites, DifferentialRunner.ConnectionOptions);
        using var session = dataSource.BeginSession();
        await using var connection = await dataSource.OpenConnectionAsync();
        await using (var write = connection.CreateCommand())
        {
            write.CommandText = "INSERT INTO items (name, written_by) VALUES ('differential-decision', 0)";
            await write.ExecuteNonQueryAsync();
        }

        var observed = new List<string>();
        foreach (var readOnly in new[] { true, false })
        {
            await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, readOnly);
            await using var read = connection.CreateCommand();
            read.Transaction = transaction;
            read.CommandText = "SELECT @@server_id";
            var ranOn = Convert.ToInt64(await read.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
            var decision = connection.LastRoutingDecision!.Value;
            var said = decision.Node == topology.Config.PrimaryEndpoint
                ? topology.PrimaryServerId
                : topology.ReplicaServerIds[topology.Config.ReplicaEndpoints.ToList().IndexOf(decision.Node)];
            if (said != ranOn || (decision.Target == RouteTarget.Primary) != (ranOn == topology.PrimaryServerId))
                observed.Add($"isReadOnly={readOnly}: LastRoutingDecision says {decision.Target}/{decision.Reason} on {decision.Node} (server {said}), " +
                    $"but the statement ran on server {ranOn} ({(ranOn == topology.PrimaryServerId ? "the primary" : "a replica")})");
            await transaction.CommitAsync();
        }

        Assert.True(observed.Count == 0, $"[{topology.Flavor}] " + string.Join("; ", observed));
    }
}

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbContractDifferentialTests(MariaDbTopology topology, ITestOutputHelper output) : ContractDifferentialTests(topology, output);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlContractDifferentialTests(MySqlTopology topology, ITestOutputHelper output) : ContractDifferentialTests(topology, output);

[Collection(TopologyConfig.MariaDb), Trait("Flavor", TopologyConfig.MariaDb)]
public sealed class MariaDbRoutingDecisionTruthTests(MariaDbTopology topology) : RoutingDecisionTruthTests(topology);

[Collection(TopologyConfig.MySql), Trait("Flavor", TopologyConfig.MySql)]
public sealed class MySqlRoutingDecisionTruthTests(MySqlTopology topology) : RoutingDecisionTruthTests(topology);
