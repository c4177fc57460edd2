namespace ReplicaRouting.AspNetCore.Internal;

/// <summary>
/// Sends the current routing session's token, protected, in the configured header of every outgoing request, so a
/// downstream service sharing the Data Protection key ring reads its replica only once it has this session's writes.
/// </summary>
internal sealed class ConsistencyTokenPropagationHandler(ConsistencyTokenProtector protector) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        AddToken(request);
        return base.SendAsync(request, cancellationToken);
    }

    protected override HttpResponseMessage Send(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        AddToken(request);
        return base.Send(request, cancellationToken);
    }

    private void AddToken(HttpRequestMessage request)
    {
        var header = protector.Options.HeaderName;
        if (!request.Headers.Contains(header) && RoutingSession.Current?.Token is { } token)
            request.Headers.TryAddWithoutValidation(header, protector.Protect(token));
    }
}
