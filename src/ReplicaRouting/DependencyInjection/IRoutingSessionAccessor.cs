namespace ReplicaRouting;

/// <summary>Gives access to the ambient <see cref="RoutingSession"/> (the current request's, under ASP.NET Core) through DI.</summary>
public interface IRoutingSessionAccessor
{
    /// <summary>Gets the routing session of the current async flow, or <see langword="null"/> when none was begun.</summary>
    RoutingSession? Current { get; }
}
