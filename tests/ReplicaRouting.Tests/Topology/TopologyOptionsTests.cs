namespace ReplicaRouting.Tests.Topology;

public class TopologyOptionsTests
{
    private const string Primary = "Server=127.0.0.1;Port=1;User ID=u;Password=p;Database=d";

    private static ReplicaRoutingDataSource Build(Action<ReplicaRoutingOptions> configure) =>
        new ReplicaRoutingDataSourceBuilder().UsePrimary(Primary).Configure(configure).Build();

    private static TException Fails<TException>(Action<ReplicaRoutingOptions> configure, string option)
        where TException : ArgumentException
    {
        var ex = Assert.Throws<TException>(() => Build(configure).Dispose());
        Assert.Contains($"ReplicaRoutingOptions.{option}", ex.Message);
        Assert.Equal(option, ex.ParamName);
        return ex;
    }

    public static TheoryData<string, string> OutOfRangeValues() => new()
    {
        { nameof(ReplicaRoutingOptions.MaxReplicaLag), "00:00:00" },
        { nameof(ReplicaRoutingOptions.MaxReplicaLag), "-00:00:01" },
        { nameof(ReplicaRoutingOptions.MaxReplicaLag), "01:00:00.001" },
        { nameof(ReplicaRoutingOptions.MaxStaleness), "00:00:00" },
        { nameof(ReplicaRoutingOptions.MaxStaleness), "-00:00:00.5" },
        { nameof(ReplicaRoutingOptions.MaxStaleness), "01:00:01" },
        { nameof(ReplicaRoutingOptions.TopologyProbeInterval), "00:00:00" },
        { nameof(ReplicaRoutingOptions.TopologyProbeInterval), "00:00:00.099" },
        { nameof(ReplicaRoutingOptions.TopologyProbeInterval), "00:01:00.001" },
        { nameof(ReplicaRoutingOptions.TopologyProbeTimeout), "00:00:00.099" },
        { nameof(ReplicaRoutingOptions.TopologyProbeTimeout), "00:01:00.001" },
        { nameof(ReplicaRoutingOptions.HeartbeatInterval), "00:00:00.049" },
        { nameof(ReplicaRoutingOptions.HeartbeatInterval), "00:01:00.001" },
    };

    public static TheoryData<string, string> BoundaryValues() => new()
    {
        { nameof(ReplicaRoutingOptions.MaxReplicaLag), "00:00:00.001" },
        { nameof(ReplicaRoutingOptions.MaxReplicaLag), "01:00:00" },
        { nameof(ReplicaRoutingOptions.MaxStaleness), "00:00:00.001" },
        { nameof(ReplicaRoutingOptions.MaxStaleness), "01:00:00" },
        { nameof(ReplicaRoutingOptions.TopologyProbeInterval), "00:00:00.100" },
        { nameof(ReplicaRoutingOptions.TopologyProbeInterval), "00:01:00" },
        { nameof(ReplicaRoutingOptions.TopologyProbeTimeout), "00:00:00.100" },
        { nameof(ReplicaRoutingOptions.TopologyProbeTimeout), "00:01:00" },
        { nameof(ReplicaRoutingOptions.HeartbeatInterval), "00:00:00.050" },
        { nameof(ReplicaRoutingOptions.HeartbeatInterval), "00:01:00" },
    };

    private static void Set(ReplicaRoutingOptions options, string option, string value) =>
        typeof(ReplicaRoutingOptions).GetProperty(option)!.SetValue(options, TimeSpan.Parse(value, System.Globalization.CultureInfo.InvariantCulture));

    [Theory]
    [MemberData(nameof(OutOfRangeValues))]
    public void An_out_of_range_duration_is_rejected_with_its_name(string option, string value) =>
        Fails<ArgumentOutOfRangeException>(o => Set(o, option, value), option);

    [Theory]
    [MemberData(nameof(BoundaryValues))]
    public void A_duration_at_either_end_of_its_range_is_accepted(string option, string value)
    {
        using var dataSource = Build(o => Set(o, option, value));
        Assert.NotNull(dataSource.Topology);
    }

    [Fact]
    public void The_defaults_are_valid_and_monitoring_is_on()
    {
        var options = new ReplicaRoutingOptions();
        Assert.True(options.TopologyMonitor);
        Assert.Null(options.HeartbeatTable);
        Assert.False(options.WriteHeartbeat);
        using var dataSource = Build(_ => { });
    }

    [Theory]
    [InlineData("hb; DROP TABLE x")]
    [InlineData("`hb`")]
    [InlineData("schema.`hb`")]
    [InlineData("hb`; DROP TABLE x; --")]
    [InlineData("hb' OR '1'='1")]
    [InlineData("\"hb\"")]
    [InlineData("hb -- x")]
    [InlineData("hb/**/")]
    [InlineData("hb)")]
    [InlineData("hb\n")]
    [InlineData("heart beat")]
    [InlineData("a.b.c")]
    [InlineData(".hb")]
    [InlineData("hb.")]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("h\u00e9artbeat")]
    public void A_heartbeat_table_that_is_not_a_bare_identifier_is_rejected(string table)
    {
        var ex = Fails<ArgumentException>(o => o.HeartbeatTable = table, nameof(ReplicaRoutingOptions.HeartbeatTable));
        Assert.IsNotType<ArgumentOutOfRangeException>(ex);
    }

    [Fact]
    public void A_heartbeat_table_name_longer_than_64_characters_is_rejected()
    {
        Fails<ArgumentException>(o => o.HeartbeatTable = new string('h', 65), nameof(ReplicaRoutingOptions.HeartbeatTable));
        Fails<ArgumentException>(o => o.HeartbeatTable = new string('s', 65) + ".hb", nameof(ReplicaRoutingOptions.HeartbeatTable));
    }

    [Theory]
    [InlineData("heartbeat")]
    [InlineData("percona.heartbeat")]
    [InlineData("_hb$2")]
    [InlineData("HB_Table")]
    [InlineData("0hb.1x")]
    public void A_bare_or_schema_qualified_heartbeat_table_is_accepted(string table)
    {
        using var dataSource = Build(o => o.HeartbeatTable = table);
    }

    [Fact]
    public void A_64_character_heartbeat_table_name_is_accepted()
    {
        using var dataSource = Build(o => o.HeartbeatTable = new string('s', 64) + "." + new string('h', 64));
    }

    [Fact]
    public void Writing_the_heartbeat_needs_a_heartbeat_table()
    {
        var ex = Fails<ArgumentException>(o => o.WriteHeartbeat = true, nameof(ReplicaRoutingOptions.WriteHeartbeat));
        Assert.IsNotType<ArgumentOutOfRangeException>(ex);
        Assert.Contains($"ReplicaRoutingOptions.{nameof(ReplicaRoutingOptions.HeartbeatTable)}", ex.Message);

        using var dataSource = Build(o =>
        {
            o.WriteHeartbeat = true;
            o.HeartbeatTable = "percona.heartbeat";
            o.TopologyMonitor = false;
        });
    }
}
