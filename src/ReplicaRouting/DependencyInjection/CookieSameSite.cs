namespace ReplicaRouting;

/// <summary>The <c>SameSite</c> attribute of the consistency token's cookie (<see cref="ReplicaRoutingHttpOptions.CookieSameSite"/>).</summary>
public enum CookieSameSite
{
    /// <summary>Sent with same-site requests and top-level navigations from other sites.</summary>
    Lax,

    /// <summary>Sent with same-site requests only: a user who follows a link from another site arrives without their token.</summary>
    Strict,

    /// <summary>Sent with cross-site requests too; browsers require <c>Secure</c>, so the cookie is always written <c>Secure</c>.</summary>
    None,
}
