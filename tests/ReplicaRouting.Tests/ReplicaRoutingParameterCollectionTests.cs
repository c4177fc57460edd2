using System.Data;
using MySqlConnector;

namespace ReplicaRouting.Tests;

public sealed class ReplicaRoutingParameterCollectionTests
{
    private static ReplicaRoutingParameterCollection Empty() => new ReplicaRoutingCommand().Parameters;

    [Theory]
    [InlineData("@id")]
    [InlineData("id")]
    [InlineData("?id")]
    [InlineData("@ID")]
    [InlineData(" @Id ")]
    public void Names_match_as_MySqlConnector_matches_them(string lookup)
    {
        var parameters = Empty();
        parameters.AddWithValue("@other", 1);
        var id = parameters.AddWithValue("@id", 2);

        Assert.Equal(1, parameters.IndexOf(lookup));
        Assert.Same(id, parameters[lookup]);
        Assert.True(parameters.Contains(lookup));
    }

    [Fact]
    public void A_renamed_parameter_is_found_by_its_new_name_only()
    {
        var parameters = Empty();
        var p = parameters.AddWithValue("@old", 1);
        p.ParameterName = "@new";

        Assert.Same(p, parameters["new"]);
        Assert.Equal(-1, parameters.IndexOf("old"));
    }

    [Fact]
    public void A_missing_name_is_an_error_that_names_it()
    {
        var parameters = Empty();
        var error = Assert.Throws<ArgumentException>(() => parameters["@nope"]);
        Assert.Contains("@nope", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => parameters.RemoveAt("@nope"));   // as MySqlParameterCollection
    }

    [Fact]
    public void Only_MySqlConnector_parameters_are_taken()
    {
        var parameters = Empty();
        var error = Assert.Throws<ArgumentException>(() => parameters.Add(new object()));
        Assert.Contains("MySqlParameter", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentNullException>(() => parameters.Add(null!));
        Assert.Throws<ArgumentException>(() => parameters.Insert(0, "text"));
        Assert.Empty(parameters);
    }

    [Fact]
    public void The_list_operations_keep_order()
    {
        var parameters = Empty();
        var a = parameters.Add("@a", MySqlDbType.Int32);
        var c = parameters.Add("@c", MySqlDbType.VarChar, 10);
        var b = new MySqlParameter("@b", 2);
        parameters.Insert(1, b);
        Assert.Equal([a, b, c], parameters.Cast<MySqlParameter>());
        Assert.Equal(10, c.Size);

        parameters.Remove(b);
        parameters.RemoveAt(0);
        Assert.Equal([c], parameters.Cast<MySqlParameter>());
        Assert.Throws<ArgumentOutOfRangeException>(() => parameters.Remove(b));   // as MySqlParameterCollection

        var replacement = new MySqlParameter("@d", 4);
        parameters["@c"] = replacement;
        Assert.Same(replacement, parameters[0]);

        parameters.AddRange(new[] { new MySqlParameter("@e", 5), new MySqlParameter("@f", 6) });
        Assert.Equal(3, parameters.Count);
        var copy = new MySqlParameter[3];
        parameters.CopyTo(copy, 0);
        Assert.Equal("@f", copy[2].ParameterName);

        parameters.Clear();
        Assert.Empty(parameters);
    }

    [Fact]
    public void A_large_collection_finds_names_as_a_small_one_does()
    {
        var parameters = Empty();
        for (var i = 0; i < 40; i++)
        {
            Assert.False(parameters.Contains("@p" + i));   // Dapper's pattern: ask, then add
            parameters.AddWithValue("@p" + i, i);
        }

        Assert.Equal(39, parameters.IndexOf("P39"));
        Assert.Equal(0, parameters.IndexOf("?p0"));
        Assert.Equal(-1, parameters.IndexOf("@p40"));

        parameters.RemoveAt("@p0");
        Assert.Equal(0, parameters.IndexOf("@p1"));
        parameters.Insert(0, new MySqlParameter("@first", 0));
        Assert.Equal(1, parameters.IndexOf("@p1"));
        Assert.Equal(0, parameters.IndexOf("first"));

        parameters.AddWithValue("@p5", "again");
        Assert.Equal(5, parameters.IndexOf("@p5"));   // the first of a name, as a search would find
    }

    [Fact]
    public void A_large_collection_finds_a_renamed_parameter_once_its_old_name_was_looked_up()
    {
        var parameters = Empty();
        for (var i = 0; i < 20; i++)
            parameters.AddWithValue("@p" + i, i);
        Assert.Equal(3, parameters.IndexOf("@p3"));

        parameters[3].ParameterName = "@renamed";
        Assert.Equal(-1, parameters.IndexOf("@p3"));
        Assert.Equal(3, parameters.IndexOf("@renamed"));
    }

    [Fact]
    public void The_command_creates_MySqlConnector_parameters_through_DbCommand()
    {
        System.Data.Common.DbCommand command = new ReplicaRoutingCommand();
        var parameter = command.CreateParameter();
        parameter.ParameterName = "@x";
        parameter.DbType = DbType.Int64;
        command.Parameters.Add(parameter);

        Assert.IsType<MySqlParameter>(parameter);
        Assert.Same(parameter, command.Parameters["x"]);
    }
}
