using Microsoft.AspNetCore.Http;

namespace ReplicaRouting.AspNetCore.Internal;

/// <summary>
/// The token's cookie: how many times a request carries it (more than once means one of them was planted, e.g. by a
/// sibling subdomain, and none can be trusted) and how it is written (the configured scope; <c>Secure</c> when the name's
/// prefix or <c>SameSite=None</c> requires it).
/// </summary>
internal sealed class ConsistencyTokenCookie(ReplicaRoutingHttpOptions options, TimeSpan lifetime)
{
    /// <summary>
    /// How many cookies named <see cref="ReplicaRoutingHttpOptions.CookieName"/> the request's raw <c>Cookie</c> headers hold.
    /// <see cref="HttpRequest.Cookies"/> keeps one value per name (the last, names compared ignoring case), so the count
    /// comes from the headers, parsed as that collection does: pairs separated by <c>;</c> or <c>,</c>.
    /// </summary>
    public int Count(HttpRequest request)
    {
        var count = 0;
        foreach (var header in request.Headers.Cookie)
        {
            var text = header.AsSpan();
            foreach (var range in text.SplitAny(";,"))
            {
                var pair = text[range];
                var equals = pair.IndexOf('=');
                if (equals > 0 && pair[..equals].Trim().Equals(options.CookieName, StringComparison.OrdinalIgnoreCase))
                    count++;
            }
        }

        return count;
    }

    /// <summary>Sets the cookie to <paramref name="protectedToken"/> in the response.</summary>
    public void Append(HttpContext context, string protectedToken) =>
        context.Response.Cookies.Append(options.CookieName, protectedToken, new CookieOptions
        {
            HttpOnly = true,
            SameSite = options.CookieSameSite switch
            {
                CookieSameSite.Strict => SameSiteMode.Strict,
                CookieSameSite.None => SameSiteMode.None,
                _ => SameSiteMode.Lax,
            },
            Secure = options.CookieAlwaysSecure || context.Request.IsHttps,
            Path = options.CookiePath,
            Domain = string.IsNullOrEmpty(options.CookieDomain) ? null : options.CookieDomain,
            MaxAge = lifetime,
            IsEssential = true,   // needed for the site to show users their own writes, not tracking
        });
}
