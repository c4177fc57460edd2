using System.Data;

namespace ReplicaRouting.Tests;

public sealed class ReplicaRoutingCommandTests
{
    [Fact]
    public void A_new_command_has_MySqlConnectors_defaults()
    {
        var command = new ReplicaRoutingCommand();
        Assert.Equal("", command.CommandText);
        Assert.Equal(CommandType.Text, command.CommandType);
        Assert.Equal(30, command.CommandTimeout);
        Assert.Equal(UpdateRowSource.Both, command.UpdatedRowSource);
        Assert.Empty(command.Parameters);
        Assert.Null(command.Connection);
    }

    [Fact]
    public void Settings_outside_what_MySqlConnector_runs_fail_with_the_setting_named()
    {
        var command = new ReplicaRoutingCommand("SELECT 1");
        var type = Assert.Throws<ArgumentException>(() => command.CommandType = CommandType.TableDirect);
        Assert.Contains("TableDirect", type.Message, StringComparison.Ordinal);
        var timeout = Assert.Throws<ArgumentOutOfRangeException>(() => command.CommandTimeout = -1);
        Assert.Equal("value", timeout.ParamName);
        Assert.StartsWith("value ('-1') must be a non-negative value", timeout.Message, StringComparison.Ordinal);   // MySqlCommand's words

        command.CommandText = null;
        Assert.Equal("", command.CommandText);
    }
}
