using System.Collections;
using System.Collections.ObjectModel;
using System.Data;
using System.Data.Common;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// A reader over the results of a routed command: MySqlConnector's reader, unchanged, minus the result set the
/// library added in front of the round trip (a GTID wait), plus the bookkeeping of the node that produced it
/// (commands in flight, and closing the logical connection for <see cref="CommandBehavior.CloseConnection"/>).
/// </summary>
public sealed class ReplicaRoutingDataReader : DbDataReader, IDbColumnSchemaGenerator
{
    private readonly MySqlDataReader _inner;
    private readonly RoutingNode _node;
    private readonly ReplicaRoutingConnection _connection;
    private readonly bool _closeConnection;   // CommandBehavior.CloseConnection, emulated: closing the reader closes _connection
    private readonly bool _singleResult;      // SingleResult/SingleRow behind a wait: emulated (the inner reader would stop after the wait)
    private MySqlBatch? _owned;               // the batch that carried a wait, disposed at close
    private IRoutedStatement? _statement;     // with _bound: the statement run as written, and what it gets back at close
    private MySqlCommand? _bound;
    private readonly int _opening;   // which opening of the connection this reader belongs to
    private bool _exhausted;   // no more result sets the caller may see
    private bool _closed;

    internal ReplicaRoutingDataReader(MySqlDataReader inner, RoutingNode node, ReplicaRoutingConnection connection, bool closeConnection, bool singleResult)
    {
        _inner = inner;
        _node = node;
        _connection = connection;
        _closeConnection = closeConnection;
        _singleResult = singleResult;
        _opening = connection.ReaderOpened();
    }

    /// <inheritdoc />
    public override int Depth => _inner.Depth;

    /// <inheritdoc />
    public override int FieldCount => _exhausted ? 0 : _inner.FieldCount;

    /// <inheritdoc />
    public override int VisibleFieldCount => _exhausted ? 0 : _inner.VisibleFieldCount;

    /// <inheritdoc />
    public override bool HasRows => !_exhausted && _inner.HasRows;

    /// <inheritdoc />
    public override bool IsClosed => _closed;

    /// <inheritdoc />
    public override int RecordsAffected => _inner.RecordsAffected;

    /// <inheritdoc />
    public override object this[int ordinal] => _inner[ordinal];

    /// <inheritdoc />
    public override object this[string name] => _inner[name];

    /// <inheritdoc />
    public override bool Read() => !_exhausted && _inner.Read();

    /// <inheritdoc />
    public override Task<bool> ReadAsync(CancellationToken cancellationToken) => _exhausted ? Task.FromResult(false) : _inner.ReadAsync(cancellationToken);

    /// <inheritdoc />
    public override bool NextResult() => NextResultAsyncCore(async: false, CancellationToken.None).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task<bool> NextResultAsync(CancellationToken cancellationToken) => NextResultAsyncCore(async: true, cancellationToken).AsTask();

    /// <inheritdoc />
    public override bool GetBoolean(int ordinal) => _inner.GetBoolean(ordinal);

    /// <inheritdoc />
    public override byte GetByte(int ordinal) => _inner.GetByte(ordinal);

    /// <inheritdoc />
    public override long GetBytes(int ordinal, long dataOffset, byte[]? buffer, int bufferOffset, int length) => _inner.GetBytes(ordinal, dataOffset, buffer, bufferOffset, length);

    /// <inheritdoc />
    public override char GetChar(int ordinal) => _inner.GetChar(ordinal);

    /// <inheritdoc />
    public override long GetChars(int ordinal, long dataOffset, char[]? buffer, int bufferOffset, int length) => _inner.GetChars(ordinal, dataOffset, buffer, bufferOffset, length);

    /// <inheritdoc />
    public override string GetDataTypeName(int ordinal) => _inner.GetDataTypeName(ordinal);

    /// <inheritdoc />
    public override DateTime GetDateTime(int ordinal) => _inner.GetDateTime(ordinal);

    /// <inheritdoc />
    public override decimal GetDecimal(int ordinal) => _inner.GetDecimal(ordinal);

    /// <inheritdoc />
    public override double GetDouble(int ordinal) => _inner.GetDouble(ordinal);

    /// <inheritdoc />
    public override Type GetFieldType(int ordinal) => _inner.GetFieldType(ordinal);

    /// <inheritdoc />
    public override float GetFloat(int ordinal) => _inner.GetFloat(ordinal);

    /// <inheritdoc />
    public override Guid GetGuid(int ordinal) => _inner.GetGuid(ordinal);

    /// <inheritdoc />
    public override short GetInt16(int ordinal) => _inner.GetInt16(ordinal);

    /// <inheritdoc />
    public override int GetInt32(int ordinal) => _inner.GetInt32(ordinal);

    /// <inheritdoc />
    public override long GetInt64(int ordinal) => _inner.GetInt64(ordinal);

    /// <inheritdoc />
    public override string GetName(int ordinal) => _inner.GetName(ordinal);

    /// <inheritdoc />
    public override int GetOrdinal(string name) => _inner.GetOrdinal(name);

    /// <inheritdoc />
    public override string GetString(int ordinal) => _inner.GetString(ordinal);

    /// <inheritdoc />
    public override object GetValue(int ordinal) => _inner.GetValue(ordinal);

    /// <inheritdoc />
    public override int GetValues(object[] values) => _inner.GetValues(values);

    /// <inheritdoc />
    public override bool IsDBNull(int ordinal) => _inner.IsDBNull(ordinal);

    /// <inheritdoc />
    public override Task<bool> IsDBNullAsync(int ordinal, CancellationToken cancellationToken) => _inner.IsDBNullAsync(ordinal, cancellationToken);

    /// <inheritdoc />
    public override T GetFieldValue<T>(int ordinal) => _inner.GetFieldValue<T>(ordinal);

    /// <inheritdoc />
    public override Task<T> GetFieldValueAsync<T>(int ordinal, CancellationToken cancellationToken) => _inner.GetFieldValueAsync<T>(ordinal, cancellationToken);

    /// <inheritdoc />
    public override Stream GetStream(int ordinal) => _inner.GetStream(ordinal);

    /// <inheritdoc />
    public override TextReader GetTextReader(int ordinal) => _inner.GetTextReader(ordinal);

    /// <inheritdoc />
    public override Type GetProviderSpecificFieldType(int ordinal) => _inner.GetProviderSpecificFieldType(ordinal);

    /// <inheritdoc />
    public override object GetProviderSpecificValue(int ordinal) => _inner.GetProviderSpecificValue(ordinal);

    /// <inheritdoc />
    public override int GetProviderSpecificValues(object[] values) => _inner.GetProviderSpecificValues(values);

    /// <inheritdoc />
    public override DataTable? GetSchemaTable() => _inner.GetSchemaTable();

    /// <inheritdoc />
    public ReadOnlyCollection<DbColumn> GetColumnSchema() => _inner.GetColumnSchema();

    /// <inheritdoc />
    public override IEnumerator GetEnumerator() => ((IEnumerable)_inner).GetEnumerator();

    /// <inheritdoc />
    public override void Close() => CloseAsyncCore(async: false).GetAwaiter().GetResult();

    /// <inheritdoc />
    public override Task CloseAsync() => CloseAsyncCore(async: true).AsTask();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
            Close();
        base.Dispose(disposing);
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        await CloseAsyncCore(async: true).ConfigureAwait(false);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes <paramref name="batch"/> (which carried a wait) when the reader closes, and tells <paramref name="statement"/> it stopped running.</summary>
    internal void DisposeOnClose(IRoutedStatement statement, MySqlBatch batch)
    {
        _statement = statement;
        _owned = batch;
    }

    /// <summary>Hands <paramref name="bound"/> back to <paramref name="statement"/> when the reader closes.</summary>
    internal void ReleaseOnClose(IRoutedStatement statement, MySqlCommand? bound)
    {
        _statement = statement;
        _bound = bound;
    }

    private async ValueTask<bool> NextResultAsyncCore(bool async, CancellationToken cancellationToken)
    {
        if (_exhausted)
            return false;
        if (_singleResult)
        {
            // The caller sees no more results; the inner reader is moved past them too, so that it reports no current result set.
            _exhausted = true;
            while (async ? await _inner.NextResultAsync(cancellationToken).ConfigureAwait(false) : _inner.NextResult())
            {
            }

            return false;
        }

        return async ? await _inner.NextResultAsync(cancellationToken).ConfigureAwait(false) : _inner.NextResult();
    }

    private async ValueTask CloseAsyncCore(bool async)
    {
        if (_closed)
            return;
        _closed = true;
        try
        {
            if (async)
            {
                await _inner.DisposeAsync().ConfigureAwait(false);
                if (_owned is not null)
                    await _owned.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                _inner.Dispose();
                _owned?.Dispose();
            }
        }
        finally
        {
            if (_owned is not null)
                _statement?.Running(null);
            else
                _statement?.Release(_connection, _node, _bound);
            _statement = null;
            _bound = null;
            _connection.StatementEnded(_node);
            _connection.ReaderClosed(_opening);
        }

        if (_closeConnection)
        {
            if (async)
                await _connection.CloseAsync().ConfigureAwait(false);
            else
                _connection.Close();
        }
    }
}
