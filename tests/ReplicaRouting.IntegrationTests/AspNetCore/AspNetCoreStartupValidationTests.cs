using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ReplicaRouting.IntegrationTests;

/// <summary>A bad setting fails the host's start (no server is contacted), with a message naming its key and no password.</summary>
public sealed class AspNetCoreStartupValidationTests
{
    private const string Valid = "Server=127.0.0.1;Port=1;User ID=app;Password=s3cret-pw;Database=shop";

    [Theory]
    [InlineData("Primary", "", "ReplicaRouting:Primary is required")]
    [InlineData("Primary", "Server=db;Password=s3cret-pw;Bogus=1", "ReplicaRouting:Primary is invalid")]
    [InlineData("Replicas:1", "Password=s3cret-pw", "ReplicaRouting:Replicas:1 has no 'Server' key")]
    [InlineData("Routing:CausalReadTimeout", "00:10:00", "ReplicaRouting:Routing:CausalReadTimeout must be between")]
    [InlineData("Routing:TokenLifetime", "00:00:00", "ReplicaRouting:Routing:TokenLifetime must be between")]
    [InlineData("Routing:ClusterId", "no spaces", "ReplicaRouting:Routing:ClusterId 'no spaces' must be")]
    [InlineData("Http:HeaderName", "X Token", "ReplicaRouting:Http:HeaderName 'X Token' must be")]
    [InlineData("Http:CookieName", "", "ReplicaRouting:Http:CookieName '' must be")]
    [InlineData("Http:MaxTokenLength", "10", "ReplicaRouting:Http:MaxTokenLength must be between")]
    [InlineData("Http:OverloadedStatusCode", "200", "ReplicaRouting:Http:OverloadedStatusCode must be an error status code")]
    public Task An_invalid_setting_fails_start_up_naming_its_key(string key, string value, string expected) =>
        AssertStartFailsAsync(new() { [$"ReplicaRouting:{key}"] = value }, expected);

    [Theory]
    [InlineData("Http:CookiePath", "shop", "ReplicaRouting:Http:CookiePath 'shop' must be a URL path starting with '/'")]
    [InlineData("Http:CookiePath", "/a;Domain=evil.example", "ReplicaRouting:Http:CookiePath '/a;Domain=evil.example' must be a URL path")]
    [InlineData("Http:CookieDomain", "shop.example; Secure", "ReplicaRouting:Http:CookieDomain 'shop.example; Secure' must be a host name")]
    public Task An_invalid_cookie_scope_fails_start_up_naming_its_key(string key, string value, string expected) =>
        AssertStartFailsAsync(new() { [$"ReplicaRouting:{key}"] = value }, expected);

    // Browsers drop a __Host- cookie that has a Domain or another Path than '/' (the prefix is matched ignoring case).
    [Theory]
    [InlineData("__Host-rr-consistency", "Http:CookieDomain", "shop.example", "ReplicaRouting:Http:CookieDomain must be empty with the cookie name '__Host-rr-consistency'")]
    [InlineData("__Host-rr-consistency", "Http:CookiePath", "/shop", "ReplicaRouting:Http:CookiePath must be '/' with the cookie name '__Host-rr-consistency'")]
    [InlineData("__host-token", "Http:CookiePath", "/shop", "ReplicaRouting:Http:CookiePath must be '/' with the cookie name '__host-token'")]
    public Task A_Host_prefixed_cookie_name_with_a_domain_or_a_path_fails_start_up_naming_the_key(string cookieName, string key, string value, string expected) =>
        AssertStartFailsAsync(new() { ["ReplicaRouting:Http:CookieName"] = cookieName, [$"ReplicaRouting:{key}"] = value }, expected);

    private static async Task AssertStartFailsAsync(Dictionary<string, string?> settings, string expected)
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ReplicaRouting:Primary"] = Valid,
            ["ReplicaRouting:Replicas:0"] = Valid,
            ["ReplicaRouting:Replicas:1"] = Valid,
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddDataProtection();
        builder.Services.AddReplicaRouting(builder.Configuration.GetSection("ReplicaRouting"));
        await using var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.UseReplicaRouting();

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());
        var failure = Assert.Single(ex.Failures);
        Assert.StartsWith(expected, failure, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-pw", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Valid_settings_start_and_resolve_the_data_source()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["ReplicaRouting:Primary"] = Valid, ["ReplicaRouting:Replicas:0"] = Valid });
        builder.Services.AddDataProtection();
        builder.Services.AddReplicaRouting(builder.Configuration.GetSection("ReplicaRouting"));
        builder.Services.AddReplicaRouting(builder.Configuration.GetSection("ReplicaRouting"));
        await using var app = builder.Build();
        app.Urls.Add("http://127.0.0.1:0");
        app.UseReplicaRouting();
        await app.StartAsync();

        var dataSource = app.Services.GetRequiredService<ReplicaRoutingDataSource>();
        Assert.Same(dataSource, app.Services.GetRequiredService<System.Data.Common.DbDataSource>());
        Assert.DoesNotContain("s3cret-pw", dataSource.ConnectionString, StringComparison.Ordinal);
        Assert.Single(dataSource.Configuration.Replicas);
        await app.StopAsync();
    }

    [Fact]
    public async Task UseReplicaRouting_without_AddReplicaRouting_says_what_to_call()
    {
        var builder = WebApplication.CreateBuilder();
        builder.Logging.ClearProviders();
        await using var app = builder.Build();
        var ex = Assert.Throws<InvalidOperationException>(() => app.UseReplicaRouting());
        Assert.Contains("AddReplicaRouting", ex.Message, StringComparison.Ordinal);
    }
}
