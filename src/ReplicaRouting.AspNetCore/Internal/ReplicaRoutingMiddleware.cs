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
        await session.PrepareTokenAsync(async: true).ConfigureAwait(false);   // a connection that wrote may still be open; what the last read saw
        self.WriteToken(context, session, restored);
    };

    /// <summary>How often a repeated header or cookie is logged at most: a client can repeat it on every request.</summary>
    internal static readonly TimeSpan RepeatedTokenLogInterval = TimeSpan.FromMinutes(1);

    private readonly RequestDelegate _next;
    private readonly ReplicaRoutingDataSource _dataSource;
    private readonly ConsistencyTokenProtector _protector;
    private readonly ReplicaRoutingHttpOptions _options;
    private readonly ConsistencyTokenCookie _cookie;
    private readonly ILogger _logger;
    private readonly ReportLimiter _repeatedHeaderLog;
    private readonly ReportLimiter _repeatedCookieLog;
    private readonly ReportLimiter _shedLog;

    /// <summary>Built with the pipeline, when the host starts: after start-up validation of the options.</summary>
    public ReplicaRoutingMiddleware(RequestDelegate next, IServiceProvider services)
    {
        _next = next;
        _dataSource = services.GetRequiredService<ReplicaRoutingDataSource>();
        _protector = ConsistencyTokenProtector.Get(services);
        _options = _protector.Options;
        _cookie = new ConsistencyTokenCookie(_options, _protector.Lifetime);
        _logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("ReplicaRouting.AspNetCore");
        var timeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;
        _repeatedHeaderLog = new ReportLimiter(timeProvider, RepeatedTokenLogInterval);
        _repeatedCookieLog = new ReportLimiter(timeProvider, RepeatedTokenLogInterval);
        _shedLog = new ReportLimiter(timeProvider, RepeatedTokenLogInterval);
    }

    public async Task InvokeAsync(HttpContext context)
    {
        using var session = _dataSource.BeginSession(ReadToken(context.Request));
        var restored = session.Token;   // null when nothing was restored; the same token back means the request did not write
        if (context.GetEndpoint()?.Metadata.GetMetadata<ReadFromPrimaryAttribute>() is not null)
            session.ReadsFromPrimary = true;

        context.Response.OnStarting(s_onStarting, (this, context, session, restored));
        try
        {
            await _next(context).ConfigureAwait(false);
        }
        catch (Exception ex) when (_options.OverloadedStatusCode is { } status && !context.Response.HasStarted && FindOverload(ex) is { } overload)
        {
            // Shed load is not a server fault: the client may retry shortly (as the rate-limiting middleware answers).
            if (_shedLog.ShouldReport(out var requests))
                Log.RequestShed(_logger, status, overload.LimitName, overload.Limit, heldBack: requests - 1);
            context.Response.Clear();
            context.Response.StatusCode = status;
            context.Response.Headers.RetryAfter = "1";
        }
    }

    /// <summary>The overload behind <paramref name="exception"/>, however the data access layer wrapped it (EF Core, Dapper, tasks).</summary>
    private static ReplicaRoutingOverloadedException? FindOverload(Exception? exception)
    {
        for (var depth = 0; exception is not null && depth < 8; depth++)
        {
            if (exception is ReplicaRoutingOverloadedException overload)
                return overload;
            exception = exception is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : exception.InnerException;
        }

        return null;
    }

    /// <summary>The unprotected token text of the request, or null: the header wins over the cookie, and either one sent twice is ignored.</summary>
    private string? ReadToken(HttpRequest request)
    {
        var header = request.Headers[_options.HeaderName];
        if (header.Count > 1)
            return Repeated(_repeatedHeaderLog, "header", header.Count);

        if (header.Count == 1 && !string.IsNullOrEmpty(header[0]))
            return _protector.Unprotect(header[0]!, "header");

        if (!_options.UseCookie)
            return null;
        var cookies = _cookie.Count(request);
        if (cookies > 1)
            return Repeated(_repeatedCookieLog, "cookie", cookies);   // one of them was planted: trust none
        if (cookies == 1 && request.Cookies[_options.CookieName] is { Length: > 0 } cookie)
            return _protector.Unprotect(cookie, "cookie");
        return null;
    }

    private string? Repeated(ReportLimiter log, string source, int count)
    {
        if (log.ShouldReport(out var requests))
            Log.TokenRepeated(_logger, source, count, heldBack: requests - 1);
        Telemetry.TokenIgnored(_dataSource.ClusterId, "repeated");
        return null;
    }

    private void WriteToken(HttpContext context, RoutingSession session, ConsistencyToken? restored)
    {
        if (session.Token is not { } token || token.Equals(restored))
            return;

        var text = _protector.Protect(token);
        context.Response.Headers[_options.HeaderName] = text;
        if (_options.UseCookie)
            _cookie.Append(context, text);
    }
}
