using MySqlConnector;

namespace ReplicaRouting.ConsistencyChecker;

/// <summary>Opens an admin connection for the test tools and refuses a server of the other flavor (their SQL differs).</summary>
internal static class CheckedConnection
{
    /// <summary>Opens <paramref name="connectionString"/>; throws, closed, when the server is not the flavor <paramref name="owner"/> was told.</summary>
    public static async Task<MySqlConnection> OpenAsync(string connectionString, bool expectMariaDb, string owner, CancellationToken cancellationToken)
    {
        var connection = new MySqlConnection(connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            var isMariaDb = connection.ServerVersion.Contains("MariaDB", StringComparison.OrdinalIgnoreCase);
            if (isMariaDb != expectMariaDb)
            {
                throw new InvalidOperationException(
                    $"{connection.DataSource} runs {connection.ServerVersion}, not {(expectMariaDb ? "MariaDB" : "MySQL")} as {owner} was told.");
            }

            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
