using System.Collections;
using System.Collections.ObjectModel;
using System.Data;
using System.Data.Common;
using MySqlConnector;
using ReplicaRouting.Internal;

namespace ReplicaRouting;

/// <summary>
/// A reader over the results of a routed command: MySqlConnector's reader, unchanged, plus the bookkeeping of the
/// node that produced it (commands in flight, and closing the logical connection for <see cref="CommandBehavior.CloseConnection"/>).
/// </summary>
public sealed class ReplicaRoutingDataReader : DbDataReader, IDbColumnSchemaGenerator
{
    private readonly MySqlDataReader _inner;
    private readonly RoutingNode _node;
    private readonly ReplicaRoutingConnection? _closeConnection;
    private bool _closed;

    internal ReplicaRoutingDataReader(MySqlDataReader inner, RoutingNode node, ReplicaRoutingConnection? closeConnection)
    {
        _inner = inner;
        _node = node;
        _closeConnection = closeConnection;
    }

    /// <inheritdoc />
    public override int Depth => _inner.Depth;

    /// <inheritdoc />
    public override int FieldCount => _inner.FieldCount;

    /// <inheritdoc />
    public override int VisibleFieldCount => _inner.VisibleFieldCount;

    /// <inheritdoc />
    public override bool HasRows => _inner.HasRows;

    /// <inheritdoc />
    public override bool IsClosed => _closed;

    /// <inheritdoc />
    public override int RecordsAffected => _inner.RecordsAffected;

    /// <inheritdoc />
    public override object this[int ordinal] => _inner[ordinal];

    /// <inheritdoc />
    public override object this[string name] => _inner[name];

    /// <inheritdoc />
    public override bool Read() => _inner.Read();

    /// <inheritdoc />
    public override Task<bool> ReadAsync(CancellationToken cancellationToken) => _inner.ReadAsync(cancellationToken);

    /// <inheritdoc />
    public override bool NextResult() => _inner.NextResult();

    /// <inheritdoc />
    public override Task<bool> NextResultAsync(CancellationToken cancellationToken) => _inner.NextResultAsync(cancellationToken);

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

    private async ValueTask CloseAsyncCore(bool async)
    {
        if (_closed)
            return;
        _closed = true;
        try
        {
            if (async)
                await _inner.DisposeAsync().ConfigureAwait(false);
            else
                _inner.Dispose();
        }
        finally
        {
            _node.CommandEnded();
        }

        if (_closeConnection is not null)
        {
            if (async)
                await _closeConnection.CloseAsync().ConfigureAwait(false);
            else
                _closeConnection.Close();
        }
    }
}
