using Microsoft.Extensions.Hosting;
using ReplicaRouting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// Starts the data source's topology monitor with the host, after one probe round (bounded by the probe timeout) so the
/// first requests already know the topology; the monitor stops when the data source is disposed with the container.
/// </summary>
internal sealed class TopologyMonitorHostedService(ReplicaRoutingDataSource dataSource) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!dataSource.Configuration.TopologyMonitor)
            return;
        await dataSource.RefreshTopologyAsync(cancellationToken).ConfigureAwait(false);
        dataSource.StartMonitoring();
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
