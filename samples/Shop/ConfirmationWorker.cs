using Microsoft.EntityFrameworkCore;

namespace ReplicaRouting.Samples.Shop;

/// <summary>The <c>Shop:Confirmations</c> section: the background job that confirms each order placed.</summary>
public sealed class ConfirmationOptions
{
    /// <summary>Gets or sets whether <c>POST /orders</c> queues a <see cref="ConfirmationJob"/> for the order it placed.</summary>
    public bool Enqueue { get; set; }

    /// <summary>
    /// Gets or sets whether the queued job carries the request's consistency token (the default). False is the mistake the
    /// demo measures: a job handed no token reads whatever replica it meets.
    /// </summary>
    public bool CarryToken { get; set; } = true;

    /// <summary>Gets or sets whether this instance runs the <see cref="ConfirmationWorker"/> (one instance per database).</summary>
    public bool Worker { get; set; }
}

/// <summary>
/// The shop's background job: confirms each order placed (a real one would e-mail the customer). It takes queue rows from
/// the primary (a queue read from a lagging replica would hide new jobs), and runs each in a routing session restored from
/// the token the request put in the row, so that its read of the order sees the request's write even on a replica that
/// is behind. It records whether it found the order and where it read it: the demo and the tests count the misses.
/// </summary>
/// <remarks>One worker per database: several would need to claim rows (<c>SELECT … FOR UPDATE SKIP LOCKED</c>).</remarks>
public sealed partial class ConfirmationWorker(ReplicaRoutingDataSource dataSource, IServiceScopeFactory scopes, ILogger<ConfirmationWorker> logger) : BackgroundService
{
    private const int BatchSize = 64;
    private const int Parallelism = 8;

    // A queue row is picked up within this, about when a message broker would have delivered a message.
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(50);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(PollInterval);
        do
        {
            try
            {
                var jobs = await PendingJobsAsync(stoppingToken);
                await Parallel.ForEachAsync(jobs, new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = stoppingToken }, RunAsync);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                // The rows stay queued: the next poll takes them again.
                LogPollFailed(logger, exception);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task<List<ConfirmationJob>> PendingJobsAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<ShopDb>();
        return await db.ConfirmationJobs.ReadFromPrimary().AsNoTracking()
            .Where(j => j.DoneAt == null).OrderBy(j => j.Id).Take(BatchSize)
            .ToListAsync(cancellationToken);
    }

    /// <summary>One job, one unit of work: its session is restored from the row's token, and its own DI scope sees it.</summary>
    private async ValueTask RunAsync(ConfirmationJob job, CancellationToken cancellationToken) =>
        await dataSource.RunInSessionAsync(job.ConsistencyToken, async _ =>
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<ShopDb>();
            var order = await db.Orders.AsNoTracking().FirstOrDefaultAsync(o => o.Id == job.OrderId, cancellationToken);
            var found = order is not null;
            var readBy = ShopApp.Route(db);
            var doneAt = DateTime.UtcNow;

            // Here a real job would e-mail the customer; a missing order is the lost order again, met by the job.
            await db.ConfirmationJobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(
                set => set.SetProperty(j => j.DoneAt, doneAt).SetProperty(j => j.OrderFound, found).SetProperty(j => j.ReadBy, readBy),
                cancellationToken);
        });

    [LoggerMessage(Level = LogLevel.Warning, Message = "Confirmation jobs could not be taken or run; they stay queued for the next poll.")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}
