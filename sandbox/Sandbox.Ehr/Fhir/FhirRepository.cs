using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Data.Sqlite;

namespace Sandbox.Ehr.Fhir;

/// <summary>One stored version of a resource.</summary>
public sealed record StoredResource(long Rid, string Type, string Id, int Version, long LastUpdatedTicks, bool Deleted, string Json)
{
    public DateTimeOffset LastUpdated => new(LastUpdatedTicks, TimeSpan.Zero);
}

/// <summary>Rows of the resource, history and index tables; every write re-indexes the resource.</summary>
public sealed class FhirRepository(SearchIndexer indexer, TimeProvider time)
{
    private static readonly FhirJsonSerializer Serializer = new();
    private static readonly FhirJsonDeserializer Deserializer = new(new DeserializerSettings());
    private long _lastTicks;

    public const string Columns = "r.rid, r.type, r.id, r.version, r.last_updated, r.deleted, r.json";

    public static StoredResource ReadRow(SqliteDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetString(2), reader.GetInt32(3), reader.GetInt64(4), reader.GetInt64(5) != 0, reader.GetString(6));

    public static Resource ToResource(StoredResource row) => Deserializer.DeserializeResource(row.Json);

    public static string Serialize(Resource resource) => Serializer.SerializeToString(resource);

    public StoredResource? Current(DbSession session, string type, string id)
    {
        using var command = session.Command($"SELECT {Columns} FROM resource r WHERE r.type = @type AND r.id = @id", ("@type", type), ("@id", id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRow(reader) : null;
    }

    public StoredResource? ByRid(DbSession session, long rid)
    {
        using var command = session.Command($"SELECT {Columns} FROM resource r WHERE r.rid = @rid", ("@rid", rid));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadRow(reader) : null;
    }

    public IReadOnlyList<StoredResource> History(DbSession session, StoredResource current, int? version = null)
    {
        var sql = "SELECT h.rid, @type, @id, h.version, h.last_updated, h.deleted, h.json FROM history h WHERE h.rid = @rid"
            + (version is null ? "" : " AND h.version = @version") + " ORDER BY h.version DESC";
        using var command = session.Command(sql, ("@type", current.Type), ("@id", current.Id), ("@rid", current.Rid), ("@version", version));
        using var reader = command.ExecuteReader();
        var rows = new List<StoredResource>();
        while (reader.Read())
        {
            rows.Add(ReadRow(reader));
        }
        return rows;
    }

    /// <summary>Stores a new version (the first when <paramref name="existing"/> is null) and re-indexes it.</summary>
    public StoredResource Write(DbSession session, string type, string id, Resource resource, StoredResource? existing)
    {
        var ticks = NextTicks();
        var version = (existing?.Version ?? 0) + 1;
        resource.Id = id;
        resource.Meta ??= new Meta();
        resource.Meta.VersionId = version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        resource.Meta.LastUpdated = new DateTimeOffset(ticks, TimeSpan.Zero);
        var json = Serialize(resource);
        long rid;
        if (existing is null)
        {
            rid = Convert.ToInt64(session.Scalar(
                "INSERT INTO resource (type, id, version, last_updated, deleted, json) VALUES (@type, @id, @version, @ticks, 0, @json) RETURNING rid",
                ("@type", type), ("@id", id), ("@version", version), ("@ticks", ticks), ("@json", json)), System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            rid = existing.Rid;
            session.Execute("UPDATE resource SET version = @version, last_updated = @ticks, deleted = 0, json = @json WHERE rid = @rid",
                ("@version", version), ("@ticks", ticks), ("@json", json), ("@rid", rid));
            RemoveIndex(session, rid);
        }
        session.Execute("INSERT INTO history (rid, version, last_updated, deleted, json) VALUES (@rid, @version, @ticks, 0, @json)",
            ("@rid", rid), ("@version", version), ("@ticks", ticks), ("@json", json));
        AddIndex(session, rid, type, indexer.Index(resource));
        return new StoredResource(rid, type, id, version, ticks, false, json);
    }

    public StoredResource Delete(DbSession session, StoredResource existing)
    {
        var ticks = NextTicks();
        var version = existing.Version + 1;
        session.Execute("UPDATE resource SET version = @version, last_updated = @ticks, deleted = 1 WHERE rid = @rid",
            ("@version", version), ("@ticks", ticks), ("@rid", existing.Rid));
        session.Execute("INSERT INTO history (rid, version, last_updated, deleted, json) VALUES (@rid, @version, @ticks, 1, '')",
            ("@rid", existing.Rid), ("@version", version), ("@ticks", ticks));
        RemoveIndex(session, existing.Rid);
        return existing with { Version = version, LastUpdatedTicks = ticks, Deleted = true };
    }

    /// <summary>Replaces the index rows of <paramref name="rid"/> with those of <paramref name="resource"/> (the access check of an older version).</summary>
    public void Reindex(DbSession session, long rid, string type, Resource resource)
    {
        RemoveIndex(session, rid);
        AddIndex(session, rid, type, indexer.Index(resource));
    }

    private static void RemoveIndex(DbSession session, long rid)
    {
        foreach (var table in new[] { "idx_token", "idx_ref", "idx_date", "idx_string" })
        {
            session.Execute($"DELETE FROM {table} WHERE rid = @rid", ("@rid", rid));
        }
    }

    private static void AddIndex(DbSession session, long rid, string type, IndexEntries entries)
    {
        if (entries.Tokens.Count > 0)
        {
            using var command = session.Command("INSERT INTO idx_token (rid, type, param, system, code, text) VALUES (@rid, @type, @param, @a, @b, @c)");
            Insert(command, rid, type, entries.Tokens.Select(t => (t.Param, (object)t.System, (object)t.Code, (object?)t.Text)));
        }
        if (entries.References.Count > 0)
        {
            using var command = session.Command("INSERT INTO idx_ref (rid, type, param, target_type, target_id) VALUES (@rid, @type, @param, @a, @b)");
            Insert(command, rid, type, entries.References.Select(t => (t.Param, (object)t.TargetType, (object)t.TargetId, (object?)null)));
        }
        if (entries.Dates.Count > 0)
        {
            using var command = session.Command("INSERT INTO idx_date (rid, type, param, low, high) VALUES (@rid, @type, @param, @a, @b)");
            Insert(command, rid, type, entries.Dates.Select(t => (t.Param, (object)t.Low, (object)t.High, (object?)null)));
        }
        if (entries.Strings.Count > 0)
        {
            using var command = session.Command("INSERT INTO idx_string (rid, type, param, norm, exact) VALUES (@rid, @type, @param, @a, @b)");
            Insert(command, rid, type, entries.Strings.Select(t => (t.Param, (object)t.Normalized, (object)t.Exact, (object?)null)));
        }
    }

    private static void Insert(SqliteCommand command, long rid, string type, IEnumerable<(string Param, object A, object B, object? C)> rows)
    {
        var pRid = command.Parameters.Add("@rid", SqliteType.Integer);
        var pType = command.Parameters.Add("@type", SqliteType.Text);
        var pParam = command.Parameters.Add("@param", SqliteType.Text);
        var pA = command.Parameters.Add("@a", SqliteType.Text);
        var pB = command.Parameters.Add("@b", SqliteType.Text);
        var hasC = command.CommandText.Contains("@c", StringComparison.Ordinal);
        var pC = hasC ? command.Parameters.Add("@c", SqliteType.Text) : null;
        foreach (var (param, a, b, c) in rows.Distinct())
        {
            pRid.Value = rid;
            pType.Value = type;
            pParam.Value = param;
            pA.Value = a;
            pB.Value = b;
            if (pC is not null)
            {
                pC.Value = c ?? "";
            }
            command.ExecuteNonQuery();
        }
    }

    /// <summary>Millisecond UTC ticks (what meta.lastUpdated can carry), strictly increasing.</summary>
    private long NextTicks()
    {
        var now = time.GetUtcNow().UtcTicks;
        now -= now % TimeSpan.TicksPerMillisecond;
        _lastTicks = Math.Max(now, _lastTicks + TimeSpan.TicksPerMillisecond);
        return _lastTicks;
    }
}
