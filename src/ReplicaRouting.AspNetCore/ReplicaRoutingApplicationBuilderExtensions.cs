using ReplicaRouting;
using ReplicaRouting.AspNetCore.Internal;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Adds ReplicaRouting's per-request routing session to the request pipeline.</summary>
public static class ReplicaRoutingApplicationBuilderExtensions
{
    /// <summary>
    /// Runs every later middleware and endpoint of a request inside its own routing session, restored from the protected
    /// consistency token of the request (the <see cref="ReplicaRoutingHttpOptions.HeaderName"/> header, else the
    /// <see cref="ReplicaRoutingHttpOptions.CookieName"/> cookie). When the request wrote, the new protected token is sent
    /// back in that header and cookie (set when the response starts). A bad token is ignored with a log line, never an error.
    /// Call it after <c>UseRouting()</c> when you call that explicitly, so endpoint metadata (<c>[ReadFromPrimary]</c>) is seen.
    /// </summary>
    /// <param name="app">The application builder.</param>
    /// <returns><paramref name="app"/>.</returns>
    /// <exception cref="InvalidOperationException"><c>AddReplicaRouting</c> or <c>AddDataProtection</c> was not called.</exception>
    public static IApplicationBuilder UseReplicaRouting(this IApplicationBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);

        // Fail here for missing registrations; the options themselves are validated when the host starts (before the
        // pipeline, and so the middleware, is built), so a bad setting surfaces as that start's OptionsValidationException.
        ConsistencyTokenProtector.EnsureRegistered(app.ApplicationServices);
        return app.UseMiddleware<ReplicaRoutingMiddleware>();
    }
}
