using Microsoft.Extensions.DependencyInjection.Extensions;
using ReplicaRouting.AspNetCore.Internal;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Carries ReplicaRouting's consistency token to downstream services.</summary>
public static class ReplicaRoutingHttpClientBuilderExtensions
{
    /// <summary>
    /// Adds a handler that sends the current routing session's consistency token, protected with Data Protection, in the
    /// <c>ReplicaRouting:Http:HeaderName</c> header of every request of this client (unless the request already has that
    /// header). A downstream service using <c>UseReplicaRouting()</c> over the same database, and sharing the Data Protection
    /// key ring and application name, then sees this session's writes on its replicas. Nothing is sent when the session
    /// has no token (it neither wrote nor was restored from one) or there is no session.
    /// </summary>
    /// <param name="builder">The HttpClient builder.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static IHttpClientBuilder AddReplicaRoutingPropagation(this IHttpClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(ConsistencyTokenProtector.Create);
        return builder.AddHttpMessageHandler(services => new ConsistencyTokenPropagationHandler(services.GetRequiredService<ConsistencyTokenProtector>()));
    }
}
