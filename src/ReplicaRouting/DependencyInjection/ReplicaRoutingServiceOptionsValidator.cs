using System.Buffers;
using Microsoft.Extensions.Options;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// Start-up validation of <see cref="ReplicaRoutingServiceOptions"/>: every failure names its configuration key, and a
/// connection string is never echoed (it holds a password). Reuses the builder's own checks.
/// </summary>
/// <param name="optionsName">The options instance this validates: the unkeyed registration's, or a keyed one's (its key).</param>
/// <param name="sectionPath">Where that instance's configuration lives, for the messages.</param>
internal sealed class ReplicaRoutingServiceOptionsValidator(string optionsName, string sectionPath) : IValidateOptions<ReplicaRoutingServiceOptions>
{
    // RFC 9110 token characters: what a header name and a cookie name may consist of.
    private static readonly SearchValues<char> s_tokenChars =
        SearchValues.Create("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    private static readonly SearchValues<char> s_domainChars =
        SearchValues.Create(".-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    public ValidateOptionsResult Validate(string? name, ReplicaRoutingServiceOptions options)
    {
        if (!string.Equals(name ?? Options.DefaultName, optionsName, StringComparison.Ordinal))
            return ValidateOptionsResult.Skip;   // another registration's options: its own validator names its keys
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Primary))
            failures.Add($"{Key(nameof(options.Primary))} is required: the MySqlConnector connection string of the primary server.");
        else
            CheckConnectionString(options.Primary, Key(nameof(options.Primary)), failures);

        for (var i = 0; i < options.Replicas.Count; i++)
        {
            var key = Key($"{nameof(options.Replicas)}:{i}");
            if (string.IsNullOrWhiteSpace(options.Replicas[i]))
                failures.Add($"{key} is empty: expected the MySqlConnector connection string of a replica.");
            else
                CheckConnectionString(options.Replicas[i], key, failures);
        }

        foreach (var (_, message, _) in RoutingConfiguration.Check(options.Routing, Key(nameof(options.Routing)) + ":"))
            failures.Add(message);

        var http = options.Http;
        var httpKey = Key(nameof(options.Http)) + ":";
        if (!IsToken(http.HeaderName))
            failures.Add($"{httpKey}{nameof(http.HeaderName)} '{http.HeaderName}' must be a non-empty HTTP header name (letters, digits and !#$%&'*+-.^_`|~).");
        if (!IsToken(http.CookieName))
            failures.Add($"{httpKey}{nameof(http.CookieName)} '{http.CookieName}' must be a non-empty cookie name (letters, digits and !#$%&'*+-.^_`|~).");
        if (http.CookiePath is not ['/', ..] || http.CookiePath.AsSpan().ContainsAnyInRange('\0', ' ') || http.CookiePath.AsSpan().ContainsAny(';', ','))
            failures.Add($"{httpKey}{nameof(http.CookiePath)} '{http.CookiePath}' must be a URL path starting with '/' (no ';', ',' or whitespace).");
        if (!string.IsNullOrEmpty(http.CookieDomain) && http.CookieDomain.AsSpan().ContainsAnyExcept(s_domainChars))
            failures.Add($"{httpKey}{nameof(http.CookieDomain)} '{http.CookieDomain}' must be a host name (letters, digits, '.' and '-').");
        if (!Enum.IsDefined(http.CookieSameSite))
            failures.Add($"{httpKey}{nameof(http.CookieSameSite)} must be Lax, Strict or None (it is {(int)http.CookieSameSite}).");
        if (http.IsHostCookie)
        {
            // Browsers silently drop a __Host- cookie that has a Domain or another Path: refuse the setting instead.
            if (!string.IsNullOrEmpty(http.CookieDomain))
                failures.Add($"{httpKey}{nameof(http.CookieDomain)} must be empty with the cookie name '{http.CookieName}': a {ReplicaRoutingHttpOptions.HostPrefix} cookie is host-only.");
            if (http.CookiePath != "/")
                failures.Add($"{httpKey}{nameof(http.CookiePath)} must be '/' with the cookie name '{http.CookieName}': a {ReplicaRoutingHttpOptions.HostPrefix} cookie covers the whole host.");
        }

        if (http.MaxTokenLength is < ReplicaRoutingHttpOptions.MinMaxTokenLength or > ReplicaRoutingHttpOptions.MaxMaxTokenLength)
        {
            failures.Add($"{httpKey}{nameof(http.MaxTokenLength)} must be between {ReplicaRoutingHttpOptions.MinMaxTokenLength} and " +
                $"{ReplicaRoutingHttpOptions.MaxMaxTokenLength} (it is {http.MaxTokenLength}).");
        }

        if (http.OverloadedStatusCode is < 400 or > 599)
            failures.Add($"{httpKey}{nameof(http.OverloadedStatusCode)} must be an error status code between 400 and 599, or empty (it is {http.OverloadedStatusCode}).");

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private string Key(string name) => sectionPath.Length == 0 ? name : $"{sectionPath}:{name}";

    private static void CheckConnectionString(string connectionString, string key, List<string> failures)
    {
        try
        {
            ReplicaRoutingDataSourceBuilder.ParseConnectionString(connectionString, key, paramName: null);
        }
        catch (ArgumentException ex)
        {
            failures.Add(ex.Message);
        }
    }

    private static bool IsToken(string? value) => !string.IsNullOrEmpty(value) && !value.AsSpan().ContainsAnyExcept(s_tokenChars);
}
