using ReplicaRouting.AspNetCore;

namespace Microsoft.AspNetCore.Builder;

/// <summary>ReplicaRouting metadata for endpoints (minimal APIs, controllers, route groups).</summary>
public static class ReplicaRoutingEndpointConventionBuilderExtensions
{
    /// <summary>Makes every command of a request to these endpoints run on the primary (see <see cref="ReadFromPrimaryAttribute"/>).</summary>
    /// <typeparam name="TBuilder">The endpoint convention builder type.</typeparam>
    /// <param name="builder">The endpoints.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static TBuilder ReadFromPrimary<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.WithMetadata(new ReadFromPrimaryAttribute());
    }
}
