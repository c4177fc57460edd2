namespace ReplicaRouting.Internal;

/// <summary>
/// Says when a repeated event deserves a log line: at most once per interval, with how many occurred since the last
/// line, so a flood is reported without a line per request.
/// </summary>
internal sealed class ReportLimiter(TimeProvider timeProvider, TimeSpan interval)
{
    private readonly Lock _gate = new();
    private long _reportAt;
    private int _unreported;

    /// <summary>Counts one event; true when it should be logged now, with <paramref name="count"/> events (this one included).</summary>
    public bool ShouldReport(out int count)
    {
        lock (_gate)
        {
            _unreported++;
            var now = timeProvider.GetTimestamp();
            if (now < _reportAt)
            {
                count = 0;
                return false;
            }

            _reportAt = now + (long)(interval.TotalSeconds * timeProvider.TimestampFrequency);
            count = _unreported;
            _unreported = 0;
            return true;
        }
    }
}
