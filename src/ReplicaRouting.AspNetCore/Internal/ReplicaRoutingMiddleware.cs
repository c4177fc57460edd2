using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

using ReplicaRouting.Internal;

namespace ReplicaRouting.AspNetCore.Internal;

/// <summary>
/// One routing session per request, restored from the request's token (header first, then cookie); when the request
/// wrote, the new token goes back in the response header and cookie.
/// </summary>
internal sealed class ReplicaRoutingMiddleware
{
    private static readonly Func<object, Task> s_onStarting = static async state =>
    {
        var (self, context, session, restored) = ((ReplicaRoutingMiddleware, HttpContext, RoutingSession, ConsistencyToken?))state;
        await session.CaptureUncapturedWritesAsync(async: true).ConfigureAwait(false);   // a connection that wrote may still be open
        self.WriteToken(context, session, restored);
    };

    private readonly RequestDelegate _next;
    private readonly ReplicaRoutingDataSource _dataSource;
    private readonly ConsistencyTokenProtector _protector;
    private readonly ReplicaRoutingHttpOptions _options;
    private readonly ILogger _logger;

    /// <summary>Built with the pipeline, when the host starts: after start-up validation of the options.</summary>
    public ReplicaRoutingMiddleware(RequestDelegate next, IServiceProvider services)
    {
        _next = next;
        _dataSource = services.GetRequiredService<ReplicaRoutingDataSource>();
        _protector = ConsistencyTokenProtector.Get(services);
        _options = _protector.Options;
        _logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("ReplicaRouting.AspNetCore");
    }

    public async Task InvokeAsync(HttpContext context)
    {
        using var session = _dataSource.BeginSession(ReadToken(context.Request));
        var restored = session.Token;   // null when nothing was restored; the same token back means the request did not write
        if (context.GetEndpoint()?.Metadata.GetMetadata<ReadFromPrimaryAttribute>() is not null)
            session.ReadsFromPrimary = true;

        context.Response.OnStarting(s_onStarting, (this, context, session, restored));
        await _next(context).ConfigureAwait(false);
    }

    /// <summary>The unprotected token text of the request, or null: the header wins over the cookie.</summary>
    private string? ReadToken(HttpRequest request)
    {
        var header = request.Headers[_options.HeaderName];
        if (header.Count > 1)
        {
            Log.TokenRepeated(_logger, header.Count);
            Telemetry.TokenIgnored(_dataSource.ClusterId, "repeated");
            return null;
        }

        if (header.Count == 1 && !string.IsNullOrEmpty(header[0]))
            return _protector.Unprotect(header[0]!, "header");

        if (_options.UseCookie && request.Cookies[_options.CookieName] is { Length: > 0 } cookie)
            return _protector.Unprotect(cookie, "cookie");
        return null;
    }

    private void WriteToken(HttpContext context, RoutingSession session, ConsistencyToken? restored)
    {
        if (session.Token is not { } token || token.Equals(restored))
            return;

        var text = _protector.Protect(token);
        context.Response.Headers[_options.HeaderName] = text;
        if (_options.UseCookie)
        {
            context.Response.Cookies.Append(_options.CookieName, text, new CookieOptions
            {
                HttpOnly = true,
                SameSite = SameSiteMode.Lax,
                Secure = context.Request.IsHttps,
                Path = "/",
                MaxAge = _protector.Lifetime,
                IsEssential = true,   // needed for the site to show users their own writes, not tracking
            });
        }
    }
}
