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

    /// <summary>Gets or sets the name of the cookie that carries the protected token to and from browsers.</summary>
    /// <value>The default value is <c>rr-consistency</c>.</value>
    public string CookieName { get; set; } = "rr-consistency";

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
}
