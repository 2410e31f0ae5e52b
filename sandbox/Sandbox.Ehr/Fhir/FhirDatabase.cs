using Microsoft.Data.Sqlite;

namespace Sandbox.Ehr.Fhir;

/// <summary>
/// The one SQLite connection of the FHIR store. Every operation runs under one lock: a sandbox
/// needs correctness (atomic transactions, no lost updates) far more than concurrent writers, and
/// one kept-open connection is also what makes the in-memory mode possible.
/// </summary>
public sealed class FhirDatabase : IDisposable
{
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _lock = new(1, 1);

    public FhirDatabase(FhirServerOptions options, string contentRoot)
    {
        string connectionString;
        if (options.InMemory)
        {
            // A private in-memory database lives as long as this kept-open connection.
            connectionString = new SqliteConnectionStringBuilder { DataSource = ":memory:" }.ToString();
        }
        else
        {
            var folder = Path.IsPathRooted(options.DataFolder) ? options.DataFolder : Path.Combine(contentRoot, options.DataFolder);
            Directory.CreateDirectory(folder);
            var file = Path.Combine(folder, "sandbox-fhir.db");
            if (options.Reseed)
            {
                SqliteConnection.ClearAllPools();
                foreach (var suffix in new[] { "", "-wal", "-shm" })
                {
                    File.Delete(file + suffix);
                }
            }
            connectionString = new SqliteConnectionStringBuilder { DataSource = file, Pooling = false }.ToString();
        }
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        Execute(options.InMemory ? "PRAGMA foreign_keys=ON;" : "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
        Execute(Schema);
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS resource (
            rid INTEGER PRIMARY KEY,
            type TEXT NOT NULL,
            id TEXT NOT NULL,
            version INTEGER NOT NULL,
            last_updated INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            json TEXT NOT NULL,
            UNIQUE (type, id));
        CREATE INDEX IF NOT EXISTS resource_updated ON resource (type, last_updated);
        CREATE TABLE IF NOT EXISTS history (
            rid INTEGER NOT NULL,
            version INTEGER NOT NULL,
            last_updated INTEGER NOT NULL,
            deleted INTEGER NOT NULL,
            json TEXT NOT NULL,
            PRIMARY KEY (rid, version));
        CREATE TABLE IF NOT EXISTS idx_token (
            rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
            system TEXT NOT NULL, code TEXT NOT NULL, text TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS idx_token_code ON idx_token (type, param, code, system);
        CREATE INDEX IF NOT EXISTS idx_token_rid ON idx_token (rid);
        CREATE TABLE IF NOT EXISTS idx_ref (
            rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
            target_type TEXT NOT NULL, target_id TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS idx_ref_target ON idx_ref (type, param, target_id, target_type);
        CREATE INDEX IF NOT EXISTS idx_ref_rid ON idx_ref (rid);
        CREATE INDEX IF NOT EXISTS idx_ref_reverse ON idx_ref (target_type, target_id);
        CREATE TABLE IF NOT EXISTS idx_date (
            rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
            low INTEGER NOT NULL, high INTEGER NOT NULL);
        CREATE INDEX IF NOT EXISTS idx_date_low ON idx_date (type, param, low);
        CREATE INDEX IF NOT EXISTS idx_date_rid ON idx_date (rid);
        CREATE TABLE IF NOT EXISTS idx_string (
            rid INTEGER NOT NULL, type TEXT NOT NULL, param TEXT NOT NULL,
            norm TEXT NOT NULL, exact TEXT NOT NULL);
        CREATE INDEX IF NOT EXISTS idx_string_norm ON idx_string (type, param, norm);
        CREATE INDEX IF NOT EXISTS idx_string_rid ON idx_string (rid);
        """;

    /// <summary>Runs <paramref name="work"/> alone on the connection inside one SQLite transaction.</summary>
    public async Task<T> InTransactionAsync<T>(Func<DbSession, T> work, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            using var transaction = _connection.BeginTransaction();
            var session = new DbSession(_connection, transaction);
            var result = work(session);
            if (session.RollbackRequested)
            {
                transaction.Rollback();
            }
            else
            {
                transaction.Commit();
            }
            return result;
        }
        finally
        {
            _lock.Release();
        }
    }

    public bool IsEmpty()
    {
        _lock.Wait();
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT EXISTS (SELECT 1 FROM resource)";
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) == 0;
        }
        finally
        {
            _lock.Release();
        }
    }

    private void Execute(string sql)
    {
        using var command = _connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _connection.Dispose();
        _lock.Dispose();
    }
}

/// <summary>The connection and open transaction one unit of work runs in.</summary>
public sealed class DbSession(SqliteConnection connection, SqliteTransaction transaction)
{
    /// <summary>Set when the unit of work failed after writing: the whole transaction is undone.</summary>
    public bool RollbackRequested { get; set; }

    public SqliteCommand Command(string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }

    public int Execute(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        return command.ExecuteNonQuery();
    }

    public void Save(string savepoint) => transaction.Save(savepoint);

    public void RollbackTo(string savepoint) => transaction.Rollback(savepoint);

    public void Release(string savepoint) => transaction.Release(savepoint);

    public object? Scalar(string sql, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(sql, parameters);
        var value = command.ExecuteScalar();
        return value is DBNull ? null : value;
    }
}
