using System.Data.Common;

namespace ReplicaRouting;

/// <summary>
/// A data adapter over routed commands: <c>Fill</c> runs its select command like any other (a read may run on a replica),
/// <c>Update</c> runs the insert, update and delete commands (with <see cref="ReplicaRoutingCommandBuilder"/>, generated) on
/// the primary, one row at a time.
/// </summary>
public sealed class ReplicaRoutingDataAdapter : DbDataAdapter
{
    /// <summary>Creates a data adapter without commands.</summary>
    public ReplicaRoutingDataAdapter()
    {
    }

    /// <summary>Creates a data adapter that fills from <paramref name="selectCommand"/>.</summary>
    /// <param name="selectCommand">The select command.</param>
    public ReplicaRoutingDataAdapter(ReplicaRoutingCommand selectCommand) => SelectCommand = selectCommand;

    /// <summary>Creates a data adapter that fills from <paramref name="selectCommandText"/> on <paramref name="connection"/>.</summary>
    /// <param name="selectCommandText">The SQL of the select command.</param>
    /// <param name="connection">The connection it runs on.</param>
    public ReplicaRoutingDataAdapter(string selectCommandText, ReplicaRoutingConnection connection)
        : this(new ReplicaRoutingCommand(selectCommandText, connection))
    {
    }

    /// <summary>Occurs before a row's command runs during <c>Update</c> (the command builder uses it to set the command).</summary>
    public event EventHandler<RowUpdatingEventArgs>? RowUpdating;

    /// <summary>Occurs after a row's command ran during <c>Update</c>.</summary>
    public event EventHandler<RowUpdatedEventArgs>? RowUpdated;

    /// <summary>Gets or sets the command that deletes rows.</summary>
    public new ReplicaRoutingCommand? DeleteCommand
    {
        get => (ReplicaRoutingCommand?)base.DeleteCommand;
        set => base.DeleteCommand = value;
    }

    /// <summary>Gets or sets the command that inserts rows.</summary>
    public new ReplicaRoutingCommand? InsertCommand
    {
        get => (ReplicaRoutingCommand?)base.InsertCommand;
        set => base.InsertCommand = value;
    }

    /// <summary>Gets or sets the command that reads rows.</summary>
    public new ReplicaRoutingCommand? SelectCommand
    {
        get => (ReplicaRoutingCommand?)base.SelectCommand;
        set => base.SelectCommand = value;
    }

    /// <summary>Gets or sets the command that updates rows.</summary>
    public new ReplicaRoutingCommand? UpdateCommand
    {
        get => (ReplicaRoutingCommand?)base.UpdateCommand;
        set => base.UpdateCommand = value;
    }

    /// <inheritdoc />
    protected override void OnRowUpdating(RowUpdatingEventArgs value) => RowUpdating?.Invoke(this, value);

    /// <inheritdoc />
    protected override void OnRowUpdated(RowUpdatedEventArgs value) => RowUpdated?.Invoke(this, value);
}
