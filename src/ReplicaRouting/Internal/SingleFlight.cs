namespace ReplicaRouting.Internal;

/// <summary>
/// Runs one operation for many concurrent callers, one run at a time. A caller is served by a run that starts after it
/// arrived (one already under way may predate what the caller needs to see), so callers that arrive together share the
/// next run: at most one run is in flight, and a burst of callers costs at most two runs.
/// </summary>
internal sealed class SingleFlight
{
    private readonly Lock _gate = new();
    private Task? _running;    // the run in flight, or null
    private long _started;     // runs started so far; a run's generation is the value after it started
    private long _succeeded;   // generation of the last run that succeeded

    /// <summary>How many runs have started (for tests and diagnostics).</summary>
    public long Runs => Interlocked.Read(ref _started);

    /// <summary>
    /// Returns once a run that started after this call began has succeeded, or once <paramref name="answered"/> says an
    /// earlier run settled the question anyway; throws what that run threw. The caller that finds no run in flight runs
    /// <paramref name="operation"/> itself (in its own sync or async mode); the others wait for it.
    /// </summary>
    public async ValueTask RunAsync(Func<bool> answered, Func<bool, CancellationToken, ValueTask> operation, bool async, CancellationToken cancellationToken)
    {
        long needed;
        lock (_gate)
            needed = _started + 1;   // the first run to start from now on

        for (var first = true; ; first = false)
        {
            if (!first && answered())
                return;   // the run this caller waited for answered it (a burst of one replayed token costs one run)

            TaskCompletionSource? lead = null;
            Task running;
            long generation;
            lock (_gate)
            {
                if (_succeeded >= needed)
                    return;
                if (_running is null)
                {
                    lead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _running = lead.Task;
                    _started++;
                }

                running = _running;
                generation = _started;
            }

            if (lead is not null)
            {
                await LeadAsync(lead, generation, operation, async, cancellationToken).ConfigureAwait(false);
                return;
            }

            try
            {
                if (async)
                    await running.WaitAsync(cancellationToken).ConfigureAwait(false);
                else
                    running.WaitAsync(cancellationToken).GetAwaiter().GetResult();
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // the leader gave up (its own cancellation): not an answer; try again
            }
            catch (Exception) when (generation < needed)
            {
                // a run that started before this caller arrived: its outcome says nothing about what the caller needs
            }
        }
    }

    private async ValueTask LeadAsync(TaskCompletionSource lead, long generation, Func<bool, CancellationToken, ValueTask> operation, bool async, CancellationToken cancellationToken)
    {
        try
        {
            await operation(async, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Finish(generation, succeeded: false);
            lead.SetException(ex);
            throw;
        }

        Finish(generation, succeeded: true);
        lead.SetResult();
    }

    private void Finish(long generation, bool succeeded)
    {
        lock (_gate)
        {
            _running = null;
            if (succeeded)
                _succeeded = generation;
        }
    }
}
