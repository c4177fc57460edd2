using Dapper;

namespace ReplicaRouting.IntegrationTests.Infrastructure;

/// <summary>Injects real lag: stops and restarts the SQL (apply) thread of replicas, as the admin user.</summary>
public sealed class ReplicaControl(TopologyFixture topology)
{
    private string Thread(string verb) => topology.Flavor == TopologyConfig.MariaDb ? $"{verb} SLAVE SQL_THREAD" : $"{verb} REPLICA SQL_THREAD";

    public async Task StopApplyAsync(params string[] replicaEndpoints)
    {
        foreach (var endpoint in Targets(replicaEndpoints))
        {
            await using var admin = await topology.OpenAdminAsync(endpoint);
            await admin.ExecuteAsync(Thread("STOP"));
        }
    }

    public async Task StartApplyAsync(params string[] replicaEndpoints)
    {
        foreach (var endpoint in Targets(replicaEndpoints))
        {
            await using var admin = await topology.OpenAdminAsync(endpoint);
            await admin.ExecuteAsync(Thread("START"));
        }
    }

    /// <summary>Stops applying on the replicas until the returned scope is disposed, then restarts and waits for catch-up.</summary>
    public async Task<IAsyncDisposable> PauseApplyAsync(params string[] replicaEndpoints)
    {
        await StopApplyAsync(replicaEndpoints);
        return new Resume(this, replicaEndpoints);
    }

    private Task WaitForReplicasAsync() => topology.WaitForReplicasAsync();

    private IEnumerable<string> Targets(string[] endpoints) => endpoints.Length == 0 ? topology.Config.ReplicaEndpoints : endpoints;

    private sealed class Resume(ReplicaControl control, string[] endpoints) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await control.StartApplyAsync(endpoints);
            await control.WaitForReplicasAsync();
        }
    }
}
