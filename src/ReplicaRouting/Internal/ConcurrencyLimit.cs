namespace ReplicaRouting.Internal;

/// <summary>A non-blocking cap on how many of one kind of operation run at once.</summary>
internal sealed class ConcurrencyLimit(int limit)
{
    private int _active;

    public int Limit => limit;

    public int Active => Volatile.Read(ref _active);

    /// <summary>Takes a slot, or returns false at once when all <see cref="Limit"/> are taken.</summary>
    public bool TryEnter()
    {
        while (true)
        {
            var active = Volatile.Read(ref _active);
            if (active >= limit)
                return false;
            if (Interlocked.CompareExchange(ref _active, active + 1, active) == active)
                return true;
        }
    }

    public void Exit() => Interlocked.Decrement(ref _active);
}
