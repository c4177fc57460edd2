namespace ReplicaRouting.AspNetCore;

/// <summary>
/// Endpoint metadata: every command of a request to this endpoint runs on the primary, unless the command carries its own
/// <see cref="RoutingHint"/>. Put it on a controller or an action, or call <c>.ReadFromPrimary()</c> on a minimal API endpoint.
/// Needs <c>app.UseReplicaRouting()</c> after routing.
/// </summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method, Inherited = true, AllowMultiple = false)]
public sealed class ReadFromPrimaryAttribute : Attribute;
