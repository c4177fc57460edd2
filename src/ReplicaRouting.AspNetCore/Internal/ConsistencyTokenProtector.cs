using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

using ReplicaRouting.Internal;

namespace ReplicaRouting.AspNetCore.Internal;

/// <summary>
/// Turns a consistency token into the text that travels over HTTP and back: Data Protection (encrypted, authenticated,
/// time-limited to the token's lifetime), base64url, size-capped. Bad input becomes "no token" and one log line.
/// </summary>
internal sealed class ConsistencyTokenProtector
{
    /// <summary>The Data Protection purpose: a protected token is worthless under any other purpose.</summary>
    public const string Purpose = "ReplicaRouting.ConsistencyToken.v1";

    private readonly ITimeLimitedDataProtector _protector;
    private readonly TimeSpan _lifetime;
    private readonly ILogger _logger;
    private readonly string _cluster;

    public ConsistencyTokenProtector(IDataProtectionProvider provider, ReplicaRoutingServiceOptions options, ILoggerFactory loggerFactory, string cluster)
    {
        _cluster = cluster;
        _protector = provider.CreateProtector(Purpose).ToTimeLimitedDataProtector();
        _lifetime = options.Routing.TokenLifetime;
        Options = options.Http;
        _logger = loggerFactory.CreateLogger("ReplicaRouting.AspNetCore");
    }

    public ReplicaRoutingHttpOptions Options { get; }

    /// <summary>The lifetime of the token (and of its cookie).</summary>
    public TimeSpan Lifetime => _lifetime;

    /// <summary>The one instance of an application: registered by the HttpClient propagation, else made for the middleware.</summary>
    public static ConsistencyTokenProtector Get(IServiceProvider services) =>
        services.GetService<ConsistencyTokenProtector>() ?? Create(services);

    public static ConsistencyTokenProtector Create(IServiceProvider services)
    {
        EnsureRegistered(services);
        return new ConsistencyTokenProtector(
            services.GetRequiredService<IDataProtectionProvider>(),
            services.GetRequiredService<IOptions<ReplicaRoutingServiceOptions>>().Value,
            services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance,
            services.GetRequiredService<ReplicaRoutingDataSource>().ClusterId);
    }

    /// <summary>Throws, saying what to call, when ReplicaRouting or Data Protection is not registered.</summary>
    public static void EnsureRegistered(IServiceProvider services)
    {
        if (services.GetService<ReplicaRoutingMarker>() is null)
            throw new InvalidOperationException("ReplicaRouting is not registered: call services.AddReplicaRouting(configuration) (or the Action overload) first.");
        if (services.GetService<IDataProtectionProvider>() is null)
        {
            throw new InvalidOperationException(
                "ReplicaRouting protects consistency tokens with ASP.NET Core Data Protection: call services.AddDataProtection() " +
                "and share its key ring between every instance and service that exchanges tokens.");
        }
    }

    /// <summary>The protected, base64url text of <paramref name="token"/>, at most <see cref="ReplicaRoutingHttpOptions.MaxTokenLength"/> characters.</summary>
    public string Protect(ConsistencyToken token)
    {
        // Data Protection refuses it after the token's own lifetime; the data source checks the lifetime again.
        var expires = token.IssuedAt + _lifetime;
        var text = _protector.Protect(token.ToString(), expires);
        if (text.Length <= Options.MaxTokenLength)
            return text;

        // Too long for a cookie (a long MySQL GTID history): "wrote at this time" still makes the reader use the primary.
        Log.TokenSentTimeOnly(_logger, text.Length, Options.MaxTokenLength);
        GtidPosition empty = token.Flavor == ServerFlavor.MySql ? MySqlGtidSet.Empty : MariaDbGtidPosition.Empty;
        return _protector.Protect(new ConsistencyToken(token.ClusterId, empty, token.IssuedAt).ToString(), expires);
    }

    /// <summary>The token text inside <paramref name="protectedText"/>, or null (logged once) when it is not a valid protected token.</summary>
    /// <param name="protectedText">What arrived in a cookie or a header.</param>
    /// <param name="source">"header" or "cookie", for the log.</param>
    public string? Unprotect(string protectedText, string source)
    {
        if (protectedText.Length > Options.MaxTokenLength)
        {
            Log.TokenOversized(_logger, source, protectedText.Length, Options.MaxTokenLength);
            Telemetry.TokenIgnored(_cluster, "oversized");
            return null;
        }

        try
        {
            return _protector.Unprotect(protectedText, out _);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            Log.TokenNotUnprotected(_logger, source, protectedText.Length);
            Telemetry.TokenIgnored(_cluster, "not_unprotected");
            return null;
        }
    }
}
