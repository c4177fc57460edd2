// The differential oracle (issue 11, invariant 1 of docs/DESIGN: "placement is the only difference").
//
// A script is a list of steps a user's code performs on a connection: commands (ExecuteNonQuery / ExecuteScalar /
// ExecuteReader with every CommandBehavior that matters, sync and async, parameters incl. OUT, Prepare, CommandTimeout,
// cancellation by Cancel() and by token), batches (DbBatch) and transactions (incl. read-only ones). The runner runs the
// SAME script twice, each time on freshly created objects with the same names:
//   1. on a plain MySqlConnector MySqlConnection to the primary, as the same application user: the oracle;
//   2. on a ReplicaRoutingConnection from a ReplicaRoutingDataSource in one of the configurations of
//      DifferentialConfiguration (consistency level, session or not, replicas lagging, session restored from a token).
// For every step it records everything a caller can observe (see Observe*): values and their CLR types, the number of
// result sets, FieldCount / GetName / GetDataTypeName / GetFieldType (also one ordinal past the end, which must throw
// alike), GetSchemaTable and GetColumnSchema, HasRows, RecordsAffected, return values, OUT parameter values, and errors
// (exception type, MySqlException Number / ErrorCode / SqlState, first 40 characters of the message). The two lists are
// compared line by line and the first divergence is reported with the step, both observations and, in generated mode,
// the seed. Which server ran a read is the only thing allowed to differ, so it is never observed (the routed side's
// routing decisions are printed next to a divergence as a diagnostic, never compared). Scripts never select values that
// legitimately depend on the node (@@server_id, CONNECTION_ID(), timestamps).
//
// Under ReadConsistency.Eventual a read of rows the script itself wrote may legitimately be older on a replica; such
// steps are marked MayBeStale and, in that configuration only, their data lines (rows, scalar values, HasRows) are not
// compared (their shape and errors still are).
using System.Data;
using System.Data.Common;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MySqlConnector;
using ReplicaRouting.IntegrationTests.Infrastructure;

namespace ReplicaRouting.IntegrationTests.Differential;

/// <summary>How a command is executed.</summary>
public enum Exec
{
    NonQuery,
    Scalar,
    Reader,
    ReaderSingleResult,
    ReaderSingleRow,
}

/// <summary>How a running command is interrupted.</summary>
public enum Interrupt
{
    None,

    /// <summary><see cref="DbCommand.Cancel"/> from another thread after <see cref="DifferentialRunner.InterruptAfter"/>.</summary>
    CancelMethod,

    /// <summary>A <see cref="CancellationToken"/> cancelled after <see cref="DifferentialRunner.InterruptAfter"/> (async API).</summary>
    Token,
}

/// <summary>One parameter of a command.</summary>
public sealed record Param(string Name, object? Value, ParameterDirection Direction = ParameterDirection.Input, MySqlDbType? Type = null)
{
    public override string ToString() => Direction == ParameterDirection.Input
        ? $"{Name}={Observations.Format(Value)}"
        : $"{Name}({Direction}{(Type is { } t ? " " + t : "")})";
}

/// <summary>One thing the user's code does on the connection.</summary>
public abstract record Step
{
    /// <summary>Run with the async API.</summary>
    public bool Async { get; init; }

    /// <summary>A read whose data may legitimately be older under <see cref="ReadConsistency.Eventual"/> (it reads the script's own writes).</summary>
    public bool MayBeStale { get; init; }

    public abstract string Describe();

    public override string ToString() => Describe();

    protected string Mode => Async ? "async" : "sync";
}

/// <summary>A command: text or stored procedure.</summary>
public sealed record Sql(string Text, Exec Exec = Exec.Reader) : Step
{
    public IReadOnlyList<Param> Parameters { get; init; } = [];

    public CommandType CommandType { get; init; } = CommandType.Text;

    public bool Prepare { get; init; }

    public int? Timeout { get; init; }

    public Interrupt Interrupt { get; init; }

    /// <summary>Applied on the routed side only (a plain MySqlConnection has no hints): it may change placement, nothing else.</summary>
    public RoutingHint Hint { get; init; }

    public override string Describe()
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{Exec} ({Mode}) ");
        if (CommandType != CommandType.Text)
            text.Append(CultureInfo.InvariantCulture, $"[{CommandType}] ");
        text.Append('"').Append(Text).Append('"');
        if (Parameters.Count > 0)
            text.Append(" {").Append(string.Join(", ", Parameters)).Append('}');
        if (Prepare)
            text.Append(" prepared");
        if (Timeout is { } timeout)
            text.Append(CultureInfo.InvariantCulture, $" timeout={timeout}s");
        if (Interrupt != Interrupt.None)
            text.Append(CultureInfo.InvariantCulture, $" interrupted by {Interrupt} after {DifferentialRunner.InterruptAfter.TotalMilliseconds} ms");
        if (Hint != RoutingHint.None)
            text.Append(CultureInfo.InvariantCulture, $" hint={Hint}");
        return text.ToString();
    }
}

/// <summary>A DbBatch of text commands.</summary>
public sealed record Batch(IReadOnlyList<string> Texts, Exec Exec = Exec.Reader) : Step
{
    public override string Describe() => $"Batch {Exec} ({Mode}) [{string.Join(" | ", Texts.Select(t => "\"" + t + "\""))}]";
}

/// <summary>BeginTransaction, optionally with an isolation level and read-only.</summary>
public sealed record Begin(IsolationLevel Level = IsolationLevel.Unspecified, bool ReadOnly = false) : Step
{
    public override string Describe() => ReadOnly ? $"BeginTransaction({Level}, isReadOnly: true) ({Mode})" : $"BeginTransaction({Level}) ({Mode})";
}

/// <summary>Commit of the open transaction.</summary>
public sealed record Commit : Step
{
    public override string Describe() => $"Commit ({Mode})";
}

/// <summary>Rollback of the open transaction.</summary>
public sealed record Rollback : Step
{
    public override string Describe() => $"Rollback ({Mode})";
}

/// <summary>
/// A difference the library keeps on purpose, with the reason (the issue's note lists them): at step <paramref name="Step"/>
/// (1-based) the routed side differs, where <paramref name="AppliesTo"/> says so. The suite checks that the step still differs
/// there (a kept difference that went away must be removed) and compares everything else.
/// </summary>
public sealed record KeptDifference(int Step, string Reason, Func<string, DifferentialConfiguration, bool> AppliesTo)
{
    /// <summary>The difference shows in some runs only (which replica serves a later read, when a cancel lands): not asserted.</summary>
    public bool Intermittent { get; init; }
}

/// <summary>A script: objects to create (with <c>{t}</c> standing for a per-run unique name prefix) and the steps.</summary>
public sealed record Script(string Name, IReadOnlyList<string> Setup, IReadOnlyList<Step> Steps)
{
    /// <summary>Differences kept on purpose (see <see cref="KeptDifference"/>).</summary>
    public IReadOnlyList<KeptDifference> Kept { get; init; } = [];

    /// <summary>A setup statement that starts with this runs as the admin user.</summary>
    public const string AsAdmin = "-- as admin\n";

    /// <summary>What every run drops afterwards (and before, in case a previous run was interrupted).</summary>
    public static readonly string[] Teardown =
    [
        "DROP PROCEDURE IF EXISTS {t}_p",
        "DROP PROCEDURE IF EXISTS {t}_q",
        AsAdmin + "DROP FUNCTION IF EXISTS {t}_f",
        "DROP TABLE IF EXISTS {t}_ai",
        "DROP TABLE IF EXISTS {t}",
    ];

    public Script WithSteps(IReadOnlyList<Step> steps) => this with { Steps = steps };

    public string Describe() => string.Join(Environment.NewLine, Steps.Select((s, i) => $"  {i + 1,2}. {s.Describe()}"));
}

/// <summary>What one run of a script observed: one list of lines per step.</summary>
public sealed record RunObservation(IReadOnlyList<IReadOnlyList<string>> Steps, IReadOnlyList<string> Decisions);

/// <summary>The first difference between the oracle's and the routed connection's observations.</summary>
public sealed record Divergence(int StepIndex, Step Step, string Plain, string Routed, string? Decision)
{
    public string Format(Script script, string configuration, string? seed = null)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"DIVERGENCE in '{script.Name}' [{configuration}]{(seed is null ? "" : " seed=" + seed)} at step {StepIndex + 1} of {script.Steps.Count}: {Step.Describe()}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  plain : {Plain}");
        text.AppendLine(CultureInfo.InvariantCulture, $"  routed: {Routed}");
        if (Decision is not null)
            text.AppendLine(CultureInfo.InvariantCulture, $"  (routed step ran at: {Decision})");
        text.AppendLine("script:");
        text.Append(script.Describe());
        return text.ToString();
    }
}

/// <summary>Runs scripts on the oracle and on a routed connection and compares what they observed.</summary>
public sealed class DifferentialRunner(TopologyFixture topology)
{
    /// <summary>Options on both sides: user variables are part of the scripts.</summary>
    public const string ConnectionOptions = "AllowUserVariables=True";

    public static readonly TimeSpan InterruptAfter = TimeSpan.FromMilliseconds(300);

    private readonly ReplicaControl _replicas = new(topology);

    public TopologyFixture Topology => topology;

    public static string NewPrefix() => "diff_" + Guid.NewGuid().ToString("N")[..10];

    /// <summary>Creates the script's objects on the primary as the application user.</summary>
    public async Task SetupAsync(Script script, string prefix)
    {
        await using var connection = new MySqlConnection(topology.Config.ConnectionString(topology.Config.PrimaryEndpoint, ConnectionOptions));
        await connection.OpenAsync();
        await DropAsync(connection, prefix);
        foreach (var statement in script.Setup)
            await ExecuteSetupAsync(connection, statement, prefix);
    }

    /// <summary>
    /// Runs one setup or teardown statement. Stored functions that write need SUPER to be created with binary logging on
    /// (log_bin_trust_function_creators is left alone): the admin user creates them, SQL SECURITY INVOKER, so they run with the
    /// application user's rights (on a read-only replica they fail like the user would), and drops them (MySQL wants
    /// SYSTEM_USER to drop an object whose definer has it).
    /// </summary>
    private async Task ExecuteSetupAsync(MySqlConnection connection, string statement, string prefix)
    {
        if (statement.StartsWith(Script.AsAdmin, StringComparison.Ordinal))
        {
            await using var admin = await topology.OpenAdminAsync(topology.Config.PrimaryEndpoint);
            await using var adminCommand = new MySqlCommand(statement[Script.AsAdmin.Length..].Replace("{t}", prefix, StringComparison.Ordinal), admin);
            await adminCommand.ExecuteNonQueryAsync();
            return;
        }

        await using var command = new MySqlCommand(statement.Replace("{t}", prefix, StringComparison.Ordinal), connection);
        await command.ExecuteNonQueryAsync();
    }

    public async Task TeardownAsync(string prefix)
    {
        await using var connection = new MySqlConnection(topology.Config.ConnectionString(topology.Config.PrimaryEndpoint, ConnectionOptions));
        await connection.OpenAsync();
        await DropAsync(connection, prefix);
    }

    private async Task DropAsync(MySqlConnection connection, string prefix)
    {
        foreach (var statement in Script.Teardown)
            await ExecuteSetupAsync(connection, statement, prefix);
    }

    /// <summary>Runs the script on a plain MySqlConnection to the primary: the oracle.</summary>
    public async Task<RunObservation> RunPlainAsync(Script script)
    {
        var prefix = NewPrefix();
        try
        {
            await SetupAsync(script, prefix);
            await using var connection = new MySqlConnection(topology.Config.ConnectionString(topology.Config.PrimaryEndpoint, ConnectionOptions));
            await connection.OpenAsync();
            return await RunStepsAsync(connection, script, prefix);
        }
        finally
        {
            await TeardownAsync(prefix);
        }
    }

    /// <summary>Runs the script on a routed connection in <paramref name="configuration"/>.</summary>
    /// <remarks>
    /// The session is begun in this method's body (not in a helper) so the ambient <see cref="RoutingSession"/> (an AsyncLocal)
    /// flows into every step.
    /// </remarks>
    public async Task<RunObservation> RunRoutedAsync(Script script, DifferentialConfiguration configuration)
    {
        var prefix = NewPrefix();
        IAsyncDisposable? lag = null;
        try
        {
            await SetupAsync(script, prefix);
            await topology.WaitForReplicasAsync();   // the script starts from state every replica has
            string? token = null;
            if (configuration == DifferentialConfiguration.RestoredToken)
            {
                // Another unit of work (another data source: another service) wrote; its token reaches this one.
                using var writer = topology.CreateDataSource(o => o.Consistency = ReadConsistency.ReadYourWrites, ConnectionOptions);
                using var writerSession = writer.BeginSession();
                await using (var writing = await writer.OpenConnectionAsync())
                {
                    await using var insert = writing.CreateCommand();
                    insert.CommandText = "INSERT INTO items (name, written_by) VALUES ('differential-token', 0)";
                    await insert.ExecuteNonQueryAsync();
                }

                token = writerSession.Token?.ToString() ?? throw new InvalidOperationException("The writing session has no token.");
            }

            await using var dataSource = topology.CreateDataSource(o => Configure(o, configuration), ConnectionOptions);
            using var session = configuration switch
            {
                DifferentialConfiguration.ReadYourWritesSession or DifferentialConfiguration.Lagged => dataSource.BeginSession(),
                DifferentialConfiguration.RestoredToken => dataSource.BeginSession(token),
                _ => null,
            };
            if (configuration == DifferentialConfiguration.RestoredToken && session!.Position is null)
                throw new InvalidOperationException("The restored session has no position: the token was refused.");
            if (configuration == DifferentialConfiguration.Lagged)
                lag = await _replicas.PauseApplyAsync();

            await using var connection = await dataSource.OpenConnectionAsync();
            return await RunStepsAsync(connection, script, prefix);
        }
        finally
        {
            if (lag is not null)
                await lag.DisposeAsync();   // restarts the apply threads and waits for catch-up
            await TeardownAsync(prefix);
        }
    }

    private static void Configure(ReplicaRoutingOptions options, DifferentialConfiguration configuration)
    {
        options.Consistency = configuration switch
        {
            DifferentialConfiguration.Eventual => ReadConsistency.Eventual,
            DifferentialConfiguration.Primary => ReadConsistency.Primary,
            _ => ReadConsistency.ReadYourWrites,
        };
        if (configuration is DifferentialConfiguration.Lagged or DifferentialConfiguration.RestoredToken)
            options.CausalReadTimeout = TimeSpan.FromMilliseconds(300);
    }

    /// <summary>Runs both sides and returns the first divergence, or null.</summary>
    public async Task<(Divergence? Divergence, RunObservation Plain, RunObservation Routed)> CompareAsync(
        Script script, DifferentialConfiguration configuration, RunObservation? plain = null)
    {
        plain ??= await RunPlainAsync(script);
        var routed = await RunRoutedAsync(script, configuration);
        return (FirstDivergence(script, plain, routed, relaxStale: configuration == DifferentialConfiguration.Eventual), plain, routed);
    }

    /// <summary>The kept differences of <paramref name="script"/> that apply to this flavor and configuration, as 0-based steps.</summary>
    public IReadOnlySet<int> KeptSteps(Script script, DifferentialConfiguration configuration) =>
        script.Kept.Where(k => k.AppliesTo(topology.Flavor, configuration)).Select(k => k.Step - 1).ToHashSet();

    /// <summary>Whether step <paramref name="index"/> observed something different on the two sides.</summary>
    public static bool Differs(Script script, RunObservation plain, RunObservation routed, int index, bool relaxStale)
    {
        var stale = relaxStale && script.Steps[index].MayBeStale;
        return !Comparable(plain.Steps[index], stale).SequenceEqual(Comparable(routed.Steps[index], stale));
    }

    public static Divergence? FirstDivergence(Script script, RunObservation plain, RunObservation routed, bool relaxStale, IReadOnlySet<int>? kept = null)
    {
        for (var i = 0; i < script.Steps.Count; i++)
        {
            if (kept?.Contains(i) == true)
                continue;
            var step = script.Steps[i];
            var a = Comparable(plain.Steps[i], relaxStale && step.MayBeStale);
            var b = Comparable(routed.Steps[i], relaxStale && step.MayBeStale);
            if (a.SequenceEqual(b))
                continue;
            var line = 0;
            while (line < a.Count && line < b.Count && a[line] == b[line])
                line++;
            var context = line > 0 ? a[line - 1] + " | " : "";
            string At(IReadOnlyList<string> lines) => line < lines.Count ? context + lines[line] : context + "(nothing more)";
            return new Divergence(i, step, At(a), At(b), i < routed.Decisions.Count ? routed.Decisions[i] : null);
        }

        return null;
    }

    private static List<string> Comparable(IReadOnlyList<string> lines, bool relax) =>
        relax ? lines.Where(l => !Observations.IsData(l)).ToList() : lines.ToList();

    // ------------------------------------------------------------------------------------------------------ execution

    private static async Task<RunObservation> RunStepsAsync(DbConnection connection, Script script, string prefix)
    {
        var state = new RunState(connection, prefix);
        var steps = new List<IReadOnlyList<string>>();
        var decisions = new List<string>();
        try
        {
            foreach (var step in script.Steps)
            {
                var lines = new List<string>();
                try
                {
                    await RunStepAsync(state, step, lines);
                }
                catch (Exception ex)
                {
                    lines.Add(Observations.Error(ex));
                }

                steps.Add(lines.Select(l => l.Replace(prefix, "{t}", StringComparison.Ordinal)).ToList());
                decisions.Add(connection is ReplicaRoutingConnection routed && routed.LastRoutingDecision is { } d ? $"{d.Target}/{d.Reason} {d.Node}" : "");
            }
        }
        finally
        {
            if (state.Transaction is not null)
            {
                try
                {
                    await state.Transaction.DisposeAsync();
                }
                catch (Exception)
                {
                    // the comparison has what matters; a broken transaction must not hide it
                }
            }
        }

        return new RunObservation(steps, decisions);
    }

    private sealed class RunState(DbConnection connection, string prefix)
    {
        public DbConnection Connection { get; } = connection;

        public string Prefix { get; } = prefix;

        public DbTransaction? Transaction { get; set; }
    }

    private static async Task RunStepAsync(RunState state, Step step, List<string> lines)
    {
        switch (step)
        {
            case Sql sql:
                await RunCommandAsync(state, sql, lines);
                break;
            case Batch batch:
                await RunBatchAsync(state, batch, lines);
                break;
            case Begin begin:
                state.Transaction = await BeginAsync(state.Connection, begin);
                lines.Add("begun");
                break;
            case Commit:
            {
                var transaction = state.Transaction ?? throw new InvalidOperationException("no transaction to commit");
                state.Transaction = null;
                try
                {
                    if (step.Async)
                        await transaction.CommitAsync();
                    else
                        transaction.Commit();
                    lines.Add("committed");
                }
                finally
                {
                    await transaction.DisposeAsync();
                }

                break;
            }

            case Rollback:
            {
                var transaction = state.Transaction ?? throw new InvalidOperationException("no transaction to roll back");
                state.Transaction = null;
                try
                {
                    if (step.Async)
                        await transaction.RollbackAsync();
                    else
                        transaction.Rollback();
                    lines.Add("rolled back");
                }
                finally
                {
                    await transaction.DisposeAsync();
                }

                break;
            }

            default:
                throw new NotSupportedException(step.GetType().Name);
        }
    }

    private static async Task<DbTransaction> BeginAsync(DbConnection connection, Begin begin)
    {
        var level = begin.Level == IsolationLevel.Unspecified ? IsolationLevel.RepeatableRead : begin.Level;
        if (!begin.ReadOnly && begin.Level == IsolationLevel.Unspecified)
            return begin.Async ? await connection.BeginTransactionAsync() : connection.BeginTransaction();
        if (!begin.ReadOnly)
            return begin.Async ? await connection.BeginTransactionAsync(level) : connection.BeginTransaction(level);
        return connection switch
        {
            MySqlConnection plain => begin.Async ? await plain.BeginTransactionAsync(level, isReadOnly: true) : plain.BeginTransaction(level, isReadOnly: true),
            ReplicaRoutingConnection routed => begin.Async ? await routed.BeginTransactionAsync(level, isReadOnly: true) : routed.BeginTransaction(level, isReadOnly: true),
            _ => throw new NotSupportedException(connection.GetType().Name),
        };
    }

    private static async Task RunCommandAsync(RunState state, Sql sql, List<string> lines)
    {
        await using var command = state.Connection.CreateCommand();
        command.CommandText = sql.Text.Replace("{t}", state.Prefix, StringComparison.Ordinal);
        command.CommandType = sql.CommandType;
        command.Transaction = state.Transaction;
        if (sql.Timeout is { } timeout)
            command.CommandTimeout = timeout;
        if (command is ReplicaRoutingCommand routed)
            routed.RoutingHint = sql.Hint;
        foreach (var p in sql.Parameters)
        {
            var parameter = (MySqlParameter)command.CreateParameter();
            parameter.ParameterName = p.Name;
            if (p.Type is { } type)
                parameter.MySqlDbType = type;
            parameter.Direction = p.Direction;
            parameter.Value = p.Value ?? DBNull.Value;
            command.Parameters.Add(parameter);
        }

        var sync = !sql.Async && sql.Interrupt != Interrupt.Token;
        try
        {
            await ExecuteInterruptedAsync(command, sql, sync, lines);
        }
        catch (Exception ex)
        {
            lines.Add(Observations.Error(ex));
        }

        foreach (DbParameter parameter in command.Parameters)
        {
            if (parameter.Direction != ParameterDirection.Input)
                lines.Add($"out {parameter.ParameterName} = {Observations.Format(parameter.Value)}");
        }
    }

    private static async Task ExecuteInterruptedAsync(DbCommand command, Sql sql, bool sync, List<string> lines)
    {
        if (sql.Prepare)
        {
            if (sql.Async)
                await command.PrepareAsync();
            else
                command.Prepare();
        }

        switch (sql.Interrupt)
        {
            case Interrupt.None:
                await ExecuteAsync(command, sql.Exec, sync, lines, CancellationToken.None);
                break;
            case Interrupt.CancelMethod:
            {
                var running = Task.Run(() => ExecuteAsync(command, sql.Exec, sync, lines, CancellationToken.None));
                await Task.Delay(InterruptAfter);
                command.Cancel();
                await running;
                break;
            }

            case Interrupt.Token:
            {
                using var cancellation = new CancellationTokenSource(InterruptAfter);
                await ExecuteAsync(command, sql.Exec, sync: false, lines, cancellation.Token);
                break;
            }
        }
    }

    private static async Task RunBatchAsync(RunState state, Batch step, List<string> lines)
    {
        await using var batch = state.Connection.CreateBatch();
        batch.Transaction = state.Transaction;
        foreach (var text in step.Texts)
        {
            var command = batch.CreateBatchCommand();
            command.CommandText = text.Replace("{t}", state.Prefix, StringComparison.Ordinal);
            batch.BatchCommands.Add(command);
        }

        switch (step.Exec)
        {
            case Exec.NonQuery:
                lines.Add("affected " + (step.Async ? await batch.ExecuteNonQueryAsync() : batch.ExecuteNonQuery()).ToString(CultureInfo.InvariantCulture));
                break;
            case Exec.Scalar:
                lines.Add("scalar " + Observations.Format(step.Async ? await batch.ExecuteScalarAsync() : batch.ExecuteScalar()));
                break;
            default:
            {
                var behavior = Behavior(step.Exec);
                await using var reader = step.Async ? await batch.ExecuteReaderAsync(behavior) : batch.ExecuteReader(behavior);
                await Observations.DrainAsync(reader, step.Async, lines, CancellationToken.None);
                break;
            }
        }

        for (var i = 0; i < batch.BatchCommands.Count; i++)
            lines.Add($"batch command {i}: RecordsAffected {batch.BatchCommands[i].RecordsAffected}");
    }

    private static CommandBehavior Behavior(Exec exec) => exec switch
    {
        Exec.ReaderSingleResult => CommandBehavior.SingleResult,
        Exec.ReaderSingleRow => CommandBehavior.SingleRow,
        _ => CommandBehavior.Default,
    };

    private static async Task ExecuteAsync(DbCommand command, Exec exec, bool sync, List<string> lines, CancellationToken cancellationToken)
    {
        switch (exec)
        {
            case Exec.NonQuery:
                lines.Add("affected " + (sync ? command.ExecuteNonQuery() : await command.ExecuteNonQueryAsync(cancellationToken)).ToString(CultureInfo.InvariantCulture));
                break;
            case Exec.Scalar:
                lines.Add("scalar " + Observations.Format(sync ? command.ExecuteScalar() : await command.ExecuteScalarAsync(cancellationToken)));
                break;
            default:
            {
                var behavior = Behavior(exec);
                await using var reader = sync ? command.ExecuteReader(behavior) : await command.ExecuteReaderAsync(behavior, cancellationToken);
                await Observations.DrainAsync(reader, !sync, lines, cancellationToken);
                break;
            }
        }
    }
}

/// <summary>How observations are written down: one line per fact, the same way on both sides.</summary>
public static partial class Observations
{
    private const string DataMark = "data ";

    /// <summary>Lines that hold data values (rows, scalars, HasRows), which a stale read may change.</summary>
    public static bool IsData(string line) => line.StartsWith(DataMark, StringComparison.Ordinal) || line.StartsWith("scalar ", StringComparison.Ordinal);

    public static string Format(object? value) => value switch
    {
        null => "null",
        DBNull => "DBNull",
        byte[] bytes => "0x" + Convert.ToHexString(bytes) + ":Byte[]",
        DateTime dateTime => dateTime.ToString("O", CultureInfo.InvariantCulture) + ":DateTime",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) + ":" + value.GetType().Name,
    };

    public static string Error(Exception ex)
    {
        var text = new StringBuilder("! ").Append(ex.GetType().Name);
        if (ex is MySqlException mysql)
            text.Append(CultureInfo.InvariantCulture, $" number={mysql.Number} code={mysql.ErrorCode} sqlstate={mysql.SqlState ?? "null"}");
        // Per-run object names are normalised before the message is cut, so both sides' prefixes compare equal; so are the
        // ADO.NET type names, which legitimately differ (ReplicaRoutingCommand where MySqlConnector says MySqlCommand).
        var message = RunName().Replace(ex.Message.ReplaceLineEndings(" "), "{t}").Replace("ReplicaRouting", "MySql", StringComparison.Ordinal);
        text.Append(" msg=\"").Append(message.Length > 40 ? message[..40] : message).Append('"');
        if (ex.InnerException is { } inner)
            text.Append(" inner=").Append(inner.GetType().Name);
        return text.ToString();
    }

    [GeneratedRegex("diff_[0-9a-f]{10}")]
    private static partial Regex RunName();

    private static string Try(Func<object?> probe)
    {
        try
        {
            return probe() switch
            {
                null => "null",
                Type type => type.Name,
                var value => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "null",
            };
        }
        catch (Exception ex)
        {
            return Error(ex);
        }
    }

    /// <summary>Reads every result set to the end, noting its metadata, rows, and what the reader says afterwards.</summary>
    public static async Task DrainAsync(DbDataReader reader, bool async, List<string> lines, CancellationToken cancellationToken)
    {
        var resultSet = 0;
        try
        {
            do
            {
                lines.Add($"result set {resultSet}: FieldCount {Try(() => reader.FieldCount)} VisibleFieldCount {Try(() => reader.VisibleFieldCount)}");
                lines.Add($"{DataMark}HasRows {Try(() => reader.HasRows)}");
                Metadata(reader, lines);
                var row = 0;
                while (async ? await reader.ReadAsync(cancellationToken) : reader.Read())
                {
                    var values = new string[reader.FieldCount];
                    for (var i = 0; i < values.Length; i++)
                        values[i] = Format(reader.GetValue(i));
                    lines.Add($"{DataMark}row {row++}: {string.Join(", ", values)}");
                }

                lines.Add($"{DataMark}{row} rows");
                lines.Add($"end of result set {resultSet}: RecordsAffected {reader.RecordsAffected}");
                resultSet++;
            }
            while (async ? await reader.NextResultAsync(cancellationToken) : reader.NextResult());
        }
        catch (Exception ex)
        {
            lines.Add(Error(ex));
        }

        lines.Add($"after the last result set: {resultSet} result sets, FieldCount {Try(() => reader.FieldCount)} RecordsAffected {Try(() => reader.RecordsAffected)}");
        lines.Add($"{DataMark}after the last result set: HasRows {Try(() => reader.HasRows)}");
        lines.Add($"  after: GetName(0) {Try(() => reader.GetName(0))}; GetFieldType(0) {Try(() => reader.GetFieldType(0))}; GetSchemaTable {Try(() => reader.GetSchemaTable() is null ? "null" : "a table")}");
        if (async)
            await reader.CloseAsync();
        else
            reader.Close();
        lines.Add($"closed: RecordsAffected {Try(() => reader.RecordsAffected)}");
    }

    private static void Metadata(DbDataReader reader, List<string> lines)
    {
        var fieldCount = reader.FieldCount;
        for (var i = 0; i <= fieldCount; i++)   // one past the end: must throw alike
        {
            var ordinal = i;
            lines.Add($"  column {ordinal}: GetName {Try(() => reader.GetName(ordinal))}; GetDataTypeName {Try(() => reader.GetDataTypeName(ordinal))}; GetFieldType {Try(() => reader.GetFieldType(ordinal))}");
        }

        try
        {
            var table = reader.GetSchemaTable();
            if (table is null)
            {
                lines.Add("  GetSchemaTable: null");
            }
            else
            {
                lines.Add("  GetSchemaTable columns: " + string.Join(", ", table.Columns.Cast<DataColumn>().Select(c => c.ColumnName + ":" + c.DataType.Name)));
                foreach (DataRow row in table.Rows)
                    lines.Add("  GetSchemaTable row: " + string.Join(", ", row.ItemArray.Select(Format)));
            }
        }
        catch (Exception ex)
        {
            lines.Add("  GetSchemaTable: " + Error(ex));
        }

        try
        {
            var schema = reader.GetColumnSchema();
            lines.Add("  GetColumnSchema: " + string.Join(", ", schema.Select(c => $"{c.ColumnName}:{c.DataTypeName}:{c.DataType?.Name}:{c.AllowDBNull}:{c.ColumnSize}")));
        }
        catch (Exception ex)
        {
            lines.Add("  GetColumnSchema: " + Error(ex));
        }
    }
}
