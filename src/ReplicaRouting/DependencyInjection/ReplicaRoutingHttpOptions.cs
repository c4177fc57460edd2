using System.ComponentModel.DataAnnotations;

namespace ReplicaRouting;

/// <summary>
/// How the ASP.NET Core integration (<c>ReplicaRouting.AspNetCore</c>) carries the consistency token: in a request and
/// response header (APIs, service to service) and in a cookie (browsers). The token travels protected by ASP.NET Core
/// Data Protection, never as its plain text.
/// </summary>
public sealed class ReplicaRoutingHttpOptions
{
    /// <summary>The shortest <see cref="MaxTokenLength"/> accepted.</summary>
    public const int MinMaxTokenLength = 256;

    /// <summary>The longest <see cref="MaxTokenLength"/> accepted.</summary>
    public const int MaxMaxTokenLength = 16384;

    /// <summary>Gets or sets the request and response header that carries the protected token. A request's header wins over its cookie.</summary>
    /// <value>The default value is <c>X-Consistency-Token</c>.</value>
    public string HeaderName { get; set; } = "X-Consistency-Token";

    /// <summary>
    /// Gets or sets the name of the cookie that carries the protected token to and from browsers. A name that starts with
    /// <c>__Host-</c> makes browsers accept the cookie only from this host, over HTTPS, with <c>Path=/</c> and no domain:
    /// no other host (a sibling subdomain) can plant one. The cookie is then always written <c>Secure</c>, as it is for a
    /// <c>__Secure-</c> name.
    /// </summary>
    /// <value>The default value is <c>rr-consistency</c>.</value>
    public string CookieName { get; set; } = "rr-consistency";

    /// <summary>
    /// Gets or sets the path the cookie is sent for. Narrow it only when the whole application lives under that path: a
    /// request outside it carries no token. A <c>__Host-</c> cookie name requires <c>/</c>.
    /// </summary>
    /// <value>The default value is <c>/</c>.</value>
    public string CookiePath { get; set; } = "/";

    /// <summary>
    /// Gets or sets the domain the cookie is shared with (for example <c>example.com</c>, to reach every subdomain), or
    /// <see langword="null"/> for a host-only cookie. Sharing it lets every host of that domain set the cookie too; a
    /// <c>__Host-</c> cookie name requires <see langword="null"/>.
    /// </summary>
    /// <value>The default value is <see langword="null"/> (host-only).</value>
    public string? CookieDomain { get; set; }

    /// <summary>Gets or sets the cookie's <c>SameSite</c> attribute. <see cref="CookieSameSite.None"/> also makes the cookie <c>Secure</c>.</summary>
    /// <value>The default value is <see cref="CookieSameSite.Lax"/>: the token follows the redirect after a POST and top-level links from other sites.</value>
    public CookieSameSite CookieSameSite { get; set; } = CookieSameSite.Lax;

    /// <summary>Gets or sets whether the token is also read from and written to a cookie; API-only applications may turn it off and use the header alone.</summary>
    /// <value>The default value is <see langword="true"/>.</value>
    public bool UseCookie { get; set; } = true;

    /// <summary>
    /// Gets or sets the longest protected token (characters) that is read or written. Longer input is ignored before any
    /// decryption; a token that would be longer is sent as a time-only token (the reader uses the primary for a short window).
    /// The default keeps the cookie under the 4096-byte limit of browsers.
    /// </summary>
    /// <value>The default value is 3800.</value>
    [Range(MinMaxTokenLength, MaxMaxTokenLength)]
    public int MaxTokenLength { get; set; } = 3800;

    /// <summary>
    /// Gets or sets the status code of a response whose request failed with <see cref="ReplicaRoutingOverloadedException"/>
    /// (a read needed the primary while <see cref="ReplicaRoutingOptions.MaxConcurrentPrimaryFallbacks"/> connections already
    /// read it), sent with <c>Retry-After: 1</c> when the response has not started; <see langword="null"/> lets the exception
    /// reach the application's own error handling.
    /// </summary>
    /// <value>The default value is 503 (Service Unavailable): the request may succeed once the replicas catch up or the load falls.</value>
    [Range(400, 599)]
    public int? OverloadedStatusCode { get; set; } = 503;

    /// <summary>The cookie name prefix that binds a cookie to this host (RFC 6265bis; browsers match it ignoring case).</summary>
    internal const string HostPrefix = "__Host-";

    /// <summary>Whether <see cref="CookieName"/> carries the <c>__Host-</c> prefix.</summary>
    internal bool IsHostCookie => CookieName?.StartsWith(HostPrefix, StringComparison.OrdinalIgnoreCase) == true;

    /// <summary>Whether the cookie must be <c>Secure</c> whatever the request's scheme: browsers drop it otherwise.</summary>
    internal bool CookieAlwaysSecure =>
        IsHostCookie || CookieName?.StartsWith("__Secure-", StringComparison.OrdinalIgnoreCase) == true || CookieSameSite == CookieSameSite.None;
}
