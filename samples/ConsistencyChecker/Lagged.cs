namespace ReplicaRouting.ConsistencyChecker;

/// <summary>Runs one story while real lag is injected: the lag runs exactly as long as the story does (the demo and the tests).</summary>
public static class Lagged
{
    /// <summary>
    /// Starts <paramref name="injector"/>, runs <paramref name="story"/>, then ends the injection (the injector restarts the
    /// replicas' apply threads and waits for them to catch up). A story error is the one reported; a lag error surfaces
    /// after the story, once the threads were restarted.
    /// </summary>
    public static async Task<(T Result, LagInjectionReport Report)> RunAsync<T>(
        LagInjector injector, TimeSpan stopped, TimeSpan running, Func<CancellationToken, Task<T>> story, CancellationToken cancellationToken)
    {
        using var endLag = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lag = injector.RunAsync(stopped, running, endLag.Token);
        T result;
        try
        {
            result = await story(cancellationToken);
        }
        catch
        {
            await endLag.CancelAsync();
            try
            {
                await lag;   // the threads are restarted either way; the story's error is the one to report
            }
            catch (Exception lagError)
            {
                Console.Error.WriteLine($"(lag injection also failed: {lagError.Message})");
            }

            throw;
        }

        await endLag.CancelAsync();
        return (result, await lag);   // a lag failure surfaces here, after the threads were restarted
    }
}
