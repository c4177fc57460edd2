using System.Data.Common;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ReplicaRouting.Tests.DependencyInjection;

/// <summary>
/// Registration, binding and start-up validation of <c>AddReplicaRouting</c>, without a server and without a container:
/// the registered configure actions and validators run as the options system would run them. (Host start-up itself is
/// covered by the integration project's <c>AspNetCoreStartupValidationTests</c>, which has a host.)
/// </summary>
public sealed class AddReplicaRoutingTests
{
    private const string Primary = "Server=db1;User ID=app;Password=s3cret-pw;Database=shop";
    private const string Replica = "Server=db2;User ID=app;Password=s3cret-pw;Database=shop";

    [Fact]
    public void Binds_the_documented_appsettings_shape()
    {
        var options = Bind(new()
        {
            ["ReplicaRouting:Primary"] = Primary,
            ["ReplicaRouting:Replicas:0"] = Replica,
            ["ReplicaRouting:Replicas:1"] = "Server=db3;Database=shop",
            ["ReplicaRouting:Routing:Consistency"] = "Eventual",
            ["ReplicaRouting:Routing:CausalReadTimeout"] = "00:00:02",
            ["ReplicaRouting:Routing:TokenLifetime"] = "00:10:00",
            ["ReplicaRouting:Routing:ClusterId"] = "shop-eu",
            ["ReplicaRouting:Http:HeaderName"] = "X-Token",
            ["ReplicaRouting:Http:CookieName"] = "tok",
            ["ReplicaRouting:Http:UseCookie"] = "false",
            ["ReplicaRouting:Http:MaxTokenLength"] = "2000",
        }, out var failures);

        Assert.Empty(failures);
        Assert.Equal(Primary, options.Primary);
        Assert.Equal([Replica, "Server=db3;Database=shop"], options.Replicas);
        Assert.Equal(ReadConsistency.Eventual, options.Routing.Consistency);
        Assert.Equal(TimeSpan.FromSeconds(2), options.Routing.CausalReadTimeout);
        Assert.Equal(TimeSpan.FromMinutes(10), options.Routing.TokenLifetime);
        Assert.Equal("shop-eu", options.Routing.ClusterId);
        Assert.Equal("X-Token", options.Http.HeaderName);
        Assert.Equal("tok", options.Http.CookieName);
        Assert.False(options.Http.UseCookie);
        Assert.Equal(2000, options.Http.MaxTokenLength);
    }

    [Fact]
    public void Registers_once_however_often_it_is_called()
    {
        var services = new ServiceCollection();
        var section = Configuration(new() { ["ReplicaRouting:Primary"] = Primary, ["ReplicaRouting:Replicas:0"] = Replica }).GetSection("ReplicaRouting");
        services.AddReplicaRouting(section);
        services.AddReplicaRouting(section);
        services.AddReplicaRouting(o => o.Routing.ClusterId = "shop");

        Assert.Single(services, d => d.ServiceType == typeof(ReplicaRoutingDataSource));
        Assert.Single(services, d => d.ServiceType == typeof(DbDataSource));
        Assert.Single(services, d => d.ServiceType == typeof(IRoutingSessionAccessor));
        Assert.Single(services, d => d.ServiceType == typeof(IValidateOptions<ReplicaRoutingServiceOptions>));
        Assert.All(services.Where(d => d.ServiceType == typeof(ReplicaRoutingDataSource)), d => Assert.Equal(ServiceLifetime.Singleton, d.Lifetime));

        // Binding the same section twice does not list its replicas twice; the code configuration runs after.
        var options = Run(services, out var failures);
        Assert.Empty(failures);
        Assert.Equal([Replica], options.Replicas);
        Assert.Equal("shop", options.Routing.ClusterId);
    }

    [Fact]
    public void The_action_overload_names_keys_under_ReplicaRouting()
    {
        var services = new ServiceCollection();
        services.AddReplicaRouting(o => o.Routing.CausalReadTimeout = TimeSpan.Zero);
        Run(services, out var failures);
        Assert.Contains(failures, f => f.StartsWith("ReplicaRouting:Primary is required", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("ReplicaRouting:Routing:CausalReadTimeout must be between", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Primary", "", "ReplicaRouting:Primary is required")]
    [InlineData("Primary", "Server=db1;Password=s3cret-pw;Bogus=1", "ReplicaRouting:Primary is invalid")]
    [InlineData("Primary", "Password=s3cret-pw;Database=shop", "ReplicaRouting:Primary has no 'Server' key")]
    [InlineData("Primary", "Server=db1;Password=s3cret-pw;Port=not-a-number", "ReplicaRouting:Primary is invalid")]
    [InlineData("Replicas:1", "Server=db3;Password=s3cret-pw;Bogus=1", "ReplicaRouting:Replicas:1 is invalid")]
    [InlineData("Replicas:1", "Password=s3cret-pw", "ReplicaRouting:Replicas:1 has no 'Server' key")]
    [InlineData("Replicas:1", " ", "ReplicaRouting:Replicas:1 is empty")]
    [InlineData("Routing:CausalReadTimeout", "00:00:00", "ReplicaRouting:Routing:CausalReadTimeout must be between")]
    [InlineData("Routing:CausalReadTimeout", "00:05:00", "ReplicaRouting:Routing:CausalReadTimeout must be between")]
    [InlineData("Routing:PrimaryAfterWriteWindow", "-00:00:01", "ReplicaRouting:Routing:PrimaryAfterWriteWindow must be between")]
    [InlineData("Routing:TokenLifetime", "00:00:00", "ReplicaRouting:Routing:TokenLifetime must be between")]
    [InlineData("Routing:TokenLifetime", "2.00:00:00", "ReplicaRouting:Routing:TokenLifetime must be between")]
    [InlineData("Routing:FailedReplicaBackoff", "02:00:00", "ReplicaRouting:Routing:FailedReplicaBackoff must be between")]
    [InlineData("Routing:ClusterId", "shop eu!", "ReplicaRouting:Routing:ClusterId 'shop eu!' must be 1–64 characters")]
    [InlineData("Routing:Consistency", "42", "ReplicaRouting:Routing:Consistency has an unknown value")]
    [InlineData("Routing:ReadYourWrites", "42", "ReplicaRouting:Routing:ReadYourWrites has an unknown value")]
    [InlineData("Routing:ReplicaSelection", "42", "ReplicaRouting:Routing:ReplicaSelection has an unknown value")]
    [InlineData("Http:HeaderName", "X Token", "ReplicaRouting:Http:HeaderName 'X Token' must be")]
    [InlineData("Http:CookieName", "a;b", "ReplicaRouting:Http:CookieName 'a;b' must be")]
    [InlineData("Http:MaxTokenLength", "100", "ReplicaRouting:Http:MaxTokenLength must be between 256 and 16384")]
    [InlineData("Http:MaxTokenLength", "100000", "ReplicaRouting:Http:MaxTokenLength must be between 256 and 16384")]
    public void Each_invalid_setting_fails_validation_naming_its_key(string key, string value, string expected)
    {
        var values = new Dictionary<string, string?>
        {
            ["ReplicaRouting:Primary"] = Primary,
            ["ReplicaRouting:Replicas:0"] = Replica,
            ["ReplicaRouting:Replicas:1"] = Replica,
            [$"ReplicaRouting:{key}"] = value,
        };
        Bind(values, out var failures);

        var failure = Assert.Single(failures);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void A_section_at_another_path_is_named_by_its_path()
    {
        var services = new ServiceCollection();
        services.AddReplicaRouting(Configuration(new() { ["Data:Routing:Primary"] = Primary, ["Data:Routing:Http:CookieName"] = "" }).GetSection("Data:Routing"));
        Run(services, out var failures);
        Assert.StartsWith("Data:Routing:Http:CookieName", Assert.Single(failures), StringComparison.Ordinal);
    }

    [Fact]
    public void Valid_defaults_pass()
    {
        Bind(new() { ["ReplicaRouting:Primary"] = Primary }, out var failures);
        Assert.Empty(failures);
    }

    private static IConfigurationRoot Configuration(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build();

    private static ReplicaRoutingServiceOptions Bind(Dictionary<string, string?> values, out IReadOnlyList<string> failures)
    {
        var services = new ServiceCollection();
        services.AddReplicaRouting(Configuration(values).GetSection("ReplicaRouting"));
        return Run(services, out failures);
    }

    /// <summary>What <c>IOptions.Value</c> and start-up validation do: every configure action in order, then every validator.</summary>
    private static ReplicaRoutingServiceOptions Run(ServiceCollection services, out IReadOnlyList<string> failures)
    {
        var options = new ReplicaRoutingServiceOptions();
        foreach (var descriptor in services.Where(d => d.ServiceType == typeof(IConfigureOptions<ReplicaRoutingServiceOptions>)))
            ((IConfigureOptions<ReplicaRoutingServiceOptions>)descriptor.ImplementationInstance!).Configure(options);

        var all = new List<string>();
        foreach (var descriptor in services.Where(d => d.ServiceType == typeof(IValidateOptions<ReplicaRoutingServiceOptions>)))
        {
            var result = ((IValidateOptions<ReplicaRoutingServiceOptions>)descriptor.ImplementationInstance!).Validate(Options.DefaultName, options);
            if (result.Failed)
                all.AddRange(result.Failures);
        }

        failures = all;
        return options;
    }
}
