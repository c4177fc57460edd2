using System.Security.Cryptography;
using System.Text;

namespace ReplicaRouting.Internal;

/// <summary>
/// GTID positions the primary was found to lack (a token replayed after a failover, or forged), remembered so that a
/// replayed token costs one check of the primary per interval rather than one per request. Bounded: two buckets of
/// 128-bit hashes of the position text, the older one forgotten each interval (or when the newer one is full), so an entry
/// lives between one and two intervals and memory never exceeds two buckets.
/// </summary>
internal sealed class RejectedPositions(TimeProvider timeProvider, TimeSpan interval, int capacity)
{
    private readonly Lock _gate = new();
    private readonly long _intervalTicks = (long)(interval.TotalSeconds * timeProvider.TimestampFrequency);
    private HashSet<UInt128> _current = [];
    private HashSet<UInt128> _previous = [];
    private long _rotateAt = timeProvider.GetTimestamp() + (long)(interval.TotalSeconds * timeProvider.TimestampFrequency);

    /// <summary>How long a rejection is remembered at least.</summary>
    public TimeSpan Interval => interval;

    public bool Contains(GtidPosition position)
    {
        var key = Key(position);
        lock (_gate)
        {
            Rotate();
            return _current.Contains(key) || _previous.Contains(key);
        }
    }

    public void Add(GtidPosition position)
    {
        var key = Key(position);
        lock (_gate)
        {
            Rotate();
            if (_current.Count >= capacity)
                (_previous, _current) = (_current, []);   // full: the oldest bucket goes early, memory stays bounded
            _current.Add(key);
        }
    }

    private void Rotate()
    {
        var now = timeProvider.GetTimestamp();
        if (now < _rotateAt)
            return;
        _previous = now < _rotateAt + _intervalTicks ? _current : [];   // idle for two intervals: everything has expired
        _current = [];
        _rotateAt = now + _intervalTicks;
    }

    /// <summary>A collision-resistant key: a colliding legitimate position would lose its read-your-writes guarantee.</summary>
    private static UInt128 Key(GtidPosition position)
    {
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(position.ToString()), hash);
        return BitConverter.ToUInt128(hash);
    }
}
