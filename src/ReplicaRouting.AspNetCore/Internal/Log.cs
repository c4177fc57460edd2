using Microsoft.Extensions.Logging;

namespace ReplicaRouting.AspNetCore.Internal;

/// <summary>Log messages of the ASP.NET Core integration, with stable event ids (see <see cref="EventIds"/>).</summary>
internal static partial class Log
{
    [LoggerMessage(EventIds.TokenNotUnprotected, LogLevel.Information,
        "Ignored a consistency token from the {Source} that could not be unprotected (tampered, truncated, expired, from another key ring, or not a token; {Length} characters)")]
    public static partial void TokenNotUnprotected(ILogger logger, string source, int length);

    [LoggerMessage(EventIds.TokenOversized, LogLevel.Information, "Ignored a consistency token from the {Source}: {Length} characters, over the limit of {MaxLength}")]
    public static partial void TokenOversized(ILogger logger, string source, int length, int maxLength);

    [LoggerMessage(EventIds.TokenRepeated, LogLevel.Information,
        "Ignored the consistency token {Source}: it was sent {Count} times; {HeldBack} earlier requests with a repeated {Source} were not logged (at most one line a minute)")]
    public static partial void TokenRepeated(ILogger logger, string source, int count, long heldBack);

    [LoggerMessage(EventIds.RequestShed, LogLevel.Warning,
        "Answered {StatusCode}: a read needed the primary while {LimitName} ({Limit}) connections already read it; {HeldBack} more such requests since the last line (at most one line a minute)")]
    public static partial void RequestShed(ILogger logger, int statusCode, string limitName, int limit, long heldBack);

    [LoggerMessage(EventIds.TokenSentTimeOnly, LogLevel.Debug, "A protected consistency token would be {Length} characters, over the limit of {MaxLength}; sent a time-only token instead")]
    public static partial void TokenSentTimeOnly(ILogger logger, int length, int maxLength);
}

/// <summary>Event ids 2000–2099: the ASP.NET Core integration (the core uses 1000–1299).</summary>
internal static class EventIds
{
    public const int TokenNotUnprotected = 2001;
    public const int TokenOversized = 2002;
    public const int TokenRepeated = 2003;
    public const int TokenSentTimeOnly = 2010;
    public const int RequestShed = 2020;
}
