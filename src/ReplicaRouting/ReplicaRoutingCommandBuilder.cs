using System.Data;
using System.Data.Common;
using System.Globalization;
using MySqlConnector;

namespace ReplicaRouting;

/// <summary>
/// Generates the insert, update and delete commands of a <see cref="ReplicaRoutingDataAdapter"/> from its select command, as
/// MySqlConnector's MySqlCommandBuilder does: identifiers quoted with backticks, parameters named <c>@p1</c>, <c>@p2</c>…,
/// their types taken from the select's column schema (read on the node that ran it; the generated commands write, so they run
/// on the primary).
/// </summary>
public sealed class ReplicaRoutingCommandBuilder : DbCommandBuilder
{
    private readonly EventHandler<RowUpdatingEventArgs> _onRowUpdating;

    /// <summary>Creates a command builder; set <see cref="DataAdapter"/> before asking for commands.</summary>
    public ReplicaRoutingCommandBuilder()
    {
        _onRowUpdating = (_, e) => RowUpdatingHandler(e);
        QuotePrefix = "`";
        QuoteSuffix = "`";
    }

    /// <summary>Creates a command builder for <paramref name="dataAdapter"/>.</summary>
    /// <param name="dataAdapter">The data adapter whose commands to generate.</param>
    public ReplicaRoutingCommandBuilder(ReplicaRoutingDataAdapter dataAdapter)
        : this() => DataAdapter = dataAdapter;

    /// <summary>Gets or sets the data adapter whose commands are generated.</summary>
    public new ReplicaRoutingDataAdapter? DataAdapter
    {
        get => (ReplicaRoutingDataAdapter?)base.DataAdapter;
        set => base.DataAdapter = value;
    }

    /// <summary>Gets the generated delete command.</summary>
    /// <returns>The command.</returns>
    public new ReplicaRoutingCommand GetDeleteCommand() => (ReplicaRoutingCommand)base.GetDeleteCommand();

    /// <summary>Gets the generated insert command.</summary>
    /// <returns>The command.</returns>
    public new ReplicaRoutingCommand GetInsertCommand() => (ReplicaRoutingCommand)base.GetInsertCommand();

    /// <summary>Gets the generated update command.</summary>
    /// <returns>The command.</returns>
    public new ReplicaRoutingCommand GetUpdateCommand() => (ReplicaRoutingCommand)base.GetUpdateCommand();

    /// <summary>Quotes an identifier with backticks (a backtick inside is doubled).</summary>
    /// <param name="unquotedIdentifier">The identifier.</param>
    /// <returns>The quoted identifier.</returns>
    public override string QuoteIdentifier(string unquotedIdentifier)
    {
        ArgumentNullException.ThrowIfNull(unquotedIdentifier);
        return QuotePrefix + unquotedIdentifier.Replace("`", "``", StringComparison.Ordinal) + QuoteSuffix;
    }

    /// <summary>Removes the backticks around an identifier (and undoubles those inside).</summary>
    /// <param name="quotedIdentifier">The identifier.</param>
    /// <returns>The unquoted identifier.</returns>
    public override string UnquoteIdentifier(string quotedIdentifier)
    {
        ArgumentNullException.ThrowIfNull(quotedIdentifier);
        if (quotedIdentifier is ['`', .., '`'])
            quotedIdentifier = quotedIdentifier[1..^1];
        return quotedIdentifier.Replace("``", "`", StringComparison.Ordinal);
    }

    /// <inheritdoc />
    protected override void ApplyParameterInfo(DbParameter parameter, DataRow row, StatementType statementType, bool whereClause) =>
        ((MySqlParameter)parameter).MySqlDbType = (MySqlDbType)row[SchemaTableColumn.ProviderType];

    /// <inheritdoc />
    protected override string GetParameterName(int parameterOrdinal) => string.Create(CultureInfo.InvariantCulture, $"@p{parameterOrdinal}");

    /// <inheritdoc />
    protected override string GetParameterName(string parameterName) => "@" + parameterName;

    /// <inheritdoc />
    protected override string GetParameterPlaceholder(int parameterOrdinal) => GetParameterName(parameterOrdinal);

    /// <inheritdoc />
    protected override void SetRowUpdatingHandler(DbDataAdapter adapter)
    {
        if (adapter is not ReplicaRoutingDataAdapter routed)
            throw new ArgumentException("The data adapter must be a ReplicaRoutingDataAdapter.", nameof(adapter));

        // Called with the old adapter when it is replaced (unsubscribe), then with the new one (subscribe).
        if (adapter == base.DataAdapter)
            routed.RowUpdating -= _onRowUpdating;
        else
            routed.RowUpdating += _onRowUpdating;
    }
}
