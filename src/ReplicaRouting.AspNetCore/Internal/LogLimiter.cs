namespace ReplicaRouting.AspNetCore.Internal;

/// <summary>
/// Lets one log line through per interval and counts the ones it held back: input a client can repeat on every request
/// (a duplicated token) must not turn into a log line per request.
/// </summary>
internal sealed class LogLimiter(TimeProvider timeProvider, TimeSpan interval)
{
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * timeProvider.TimestampFrequency);
    private long _next;   // the timestamp from which the next line may be written; 0 = at once
    private long _heldBack;

    /// <summary>True when a line may be written now, with the number of lines held back since the last one written.</summary>
    public bool TryEnter(out long heldBack)
    {
        var now = timeProvider.GetTimestamp();
        var next = Volatile.Read(ref _next);
        if (now >= next && Interlocked.CompareExchange(ref _next, now + _intervalTicks, next) == next)
        {
            heldBack = Interlocked.Exchange(ref _heldBack, 0);
            return true;
        }

        Interlocked.Increment(ref _heldBack);
        heldBack = 0;
        return false;
    }
}
