package dev.baton.runtime.journal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.baton.json.Json;
import dev.baton.runtime.event.EventCodec;
import dev.baton.runtime.event.RunEvent;

import java.io.UncheckedIOException;
import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The journal in a SQL database: an H2 file (the embedded default) or PostgreSQL, with the
 * same schema ({@code baton_events}, {@code baton_runs}, {@code baton_approvals},
 * {@code baton_nodes}), created or migrated on open by Flyway ({@link Schema}, {@code db/baton/V*.sql}).
 *
 * <p>Writes are group-committed by one daemon thread, {@code baton-journal-writer}: it takes
 * everything queued (up to {@value #MAX_BATCH_EVENTS} events), inserts the events and applies
 * their {@link Projection} in one transaction, commits, and only then completes the appends'
 * futures, in append order. Callbacks attached to those futures without an executor run on
 * that thread: keep them short, or use the {@code *Async} variants.
 *
 * <p>Connections come from a small HikariCP pool (the writer borrows one per batch, readers
 * the others). For H2, options the URL does not set default to {@code WRITE_DELAY=0} (a
 * commit reaches the file before its future completes, so a killed process loses nothing
 * acknowledged; H2's default delay of 500 ms would) and {@code DB_CLOSE_ON_EXIT=FALSE} (the
 * database stays open until {@link #close()} has drained the queue, even during JVM shutdown).
 */
public final class JdbcJournal implements Journal {

    /** The most events the writer puts in one transaction (one append is never split). */
    static final int MAX_BATCH_EVENTS = 5_000;

    private static final int POOL_SIZE = 4;
    static final long CONNECTION_TIMEOUT_MS = 1_500;
    private static final int FETCH_SIZE = 1_000;
    private static final Pattern PASSWORD = Pattern.compile("(?i)(password=)[^&;]*");

    private final HikariDataSource pool;
    private final SqlDialect dialect;
    private final SqlBatch sqlBatch;
    private final GroupCommitWriter writer;
    private final NotificationOutbox outbox;
    /** Set once this node is one of a cluster's: checked in every write transaction. */
    private volatile WriteFence fence;

    private JdbcJournal(HikariDataSource pool, SqlDialect dialect) {
        this.pool = pool;
        this.dialect = dialect;
        this.sqlBatch = new SqlBatch(dialect);
        this.writer = new GroupCommitWriter(new Store(), MAX_BATCH_EVENTS, pool::close);
        this.outbox = new JdbcNotificationOutbox(pool);
    }

    /** Opens the journal at a {@code jdbc:h2:} or {@code jdbc:postgresql:} URL; a user and password may be in the URL. */
    public static JdbcJournal open(String url) {
        return open(url, null, null);
    }

    /**
     * Opens the journal, creating its tables if needed.
     *
     * @param user     null to use the URL's (or the driver's default)
     * @param password null to use the URL's
     * @throws IllegalArgumentException if the URL is neither H2 nor PostgreSQL
     * @throws JournalException         if the database cannot be reached or its schema is not usable; the
     *                                  message holds the database's reason, never a password
     */
    public static JdbcJournal open(String url, String user, String password) {
        SqlDialect dialect = SqlDialect.of(url);
        if (dialect == null) {
            throw new IllegalArgumentException("not an H2 or PostgreSQL JDBC URL: " + redact(url));
        }
        HikariConfig config = new HikariConfig();
        config.setPoolName("baton-journal");
        config.setJdbcUrl(dialect == SqlDialect.H2 ? withH2Defaults(url) : url);
        if (user != null) config.setUsername(user);
        if (password != null) config.setPassword(password);
        config.setMaximumPoolSize(POOL_SIZE);
        config.setMinimumIdle(1);
        // While the database is away, a borrower gives up after this long (Hikari's default is 30 s):
        // requests answer 503 within a second or two instead of hanging.
        config.setConnectionTimeout(CONNECTION_TIMEOUT_MS);
        if (dialect == SqlDialect.H2) {
            // An embedded H2 closes its database with its last connection: keep one, forever.
            config.setMaxLifetime(0);
            config.setIdleTimeout(0);
        } else {
            // One multi-row INSERT per batch instead of one statement per event.
            config.addDataSourceProperty("reWriteBatchedInserts", "true");
            config.addDataSourceProperty("ApplicationName", "baton");
        }
        HikariDataSource pool;
        try {
            pool = new HikariDataSource(config);
        } catch (RuntimeException e) {
            throw new JournalException("cannot connect to " + dialect.name() + " at " + redact(url) + ": "
                    + reason(e, password), e);
        }
        try {
            Schema.migrate(pool, dialect);
        } catch (SQLException | RuntimeException e) {
            pool.close();
            if (e instanceof JournalException je) throw je;
            throw new JournalException("cannot create the journal's tables in " + dialect.name() + " at " + redact(url)
                    + ": " + reason(e, password), e);
        }
        return new JdbcJournal(pool, dialect);
    }

    /**
     * The journal's database, for stores that keep their own tables beside the journal's (the
     * triggers: {@code dev.baton.runtime.trigger.JdbcTriggerStore}), created by {@link Schema}.
     * Borrow a connection briefly: the pool is small and the journal's writer needs one.
     */
    public javax.sql.DataSource dataSource() {
        return pool;
    }

    /**
     * From now on every write transaction first passes {@code fence} (see {@link WriteFence}), and
     * the runs this journal creates are owned by its epoch. For a node of a cluster.
     */
    public void fenceWith(WriteFence fence) {
        this.fence = fence;
    }

    /** Whether this is PostgreSQL (a journal several nodes can share), not H2. */
    public boolean shared() {
        return dialect == SqlDialect.POSTGRES;
    }

    @Override
    public NotificationOutbox outbox() {
        return outbox;
    }

    @Override
    public CompletableFuture<Void> append(List<RunEvent> events) {
        return writer.submit(events);
    }

    @Override
    public List<RunEvent> events(String runId, long afterSeq) {
        List<RunEvent> events = new ArrayList<>();
        query("SELECT run_id, seq, type, at_ms, data FROM baton_events WHERE run_id = ? AND seq > ? ORDER BY seq", ps -> {
            ps.setString(1, runId);
            ps.setLong(2, afterSeq);
        }, rs -> events.add(event(rs)));
        return events;
    }

    @Override
    public void forEachEventOfUnfinishedRuns(Consumer<RunEvent> sink) {
        String sql = "SELECT e.run_id, e.seq, e.type, e.at_ms, e.data FROM baton_events e "
                + "JOIN baton_runs r ON r.id = e.run_id WHERE r.status NOT IN ('SUCCEEDED', 'FAILED', 'CANCELLED', 'COMPENSATION_FAILED') "
                + "ORDER BY e.run_id, e.seq";
        try (Connection c = pool.getConnection()) {
            // PostgreSQL streams with a cursor only inside a transaction.
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                ps.setFetchSize(FETCH_SIZE);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) sink.accept(event(rs));
                }
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw readFailure(e);
        }
    }

    @Override
    public Optional<RunRecord> run(String runId) {
        return oneRun("id = ?", runId);
    }

    @Override
    public Optional<RunRecord> runByIdempotencyKey(String key) {
        return oneRun("idempotency_key = ?", key);
    }

    @Override
    public RunPage runs(RunQuery q) {
        List<RunRecord> runs = new ArrayList<>();
        Map<String, Object> filters = new LinkedHashMap<>();
        filters.put("status", q.status());
        if (q.goal() != null) filters.put("goal", new Like(q.goalLikePattern()));
        newestFirst("SELECT " + RUN_COLUMNS + " FROM baton_runs", filters, q.cursor(), q.limit(), rs -> runs.add(runRecord(rs)));
        if (runs.size() <= q.limit()) return new RunPage(runs, null, waitingApprovals(runs));
        List<RunRecord> page = List.copyOf(runs.subList(0, q.limit()));
        return new RunPage(page, RunCursor.after(page.get(page.size() - 1)).encode(), waitingApprovals(page));
    }

    @Override
    public Map<String, String> goals(Collection<String> runIds) {
        Map<String, String> goals = new HashMap<>();
        queryIn("SELECT id, goal FROM baton_runs WHERE id", runIds, "", rs -> goals.put(rs.getString(1), rs.getString(2)));
        return goals;
    }

    @Override
    public Map<String, Map<String, Long>> runCountsByTrigger(Collection<String> triggers) {
        Map<String, Map<String, Long>> counts = new HashMap<>();
        queryIn("SELECT trigger_name, status, COUNT(*) FROM baton_runs WHERE trigger_name", triggers, " GROUP BY trigger_name, status",
                rs -> counts.computeIfAbsent(rs.getString(1), t -> new HashMap<>()).put(rs.getString(2), rs.getLong(3)));
        return counts;
    }

    /**
     * {@code head IN (?, ...) tail} for these values (each once), in statements of at most 500 of them
     * however many there are, every row read by {@code reader}.
     */
    private void queryIn(String head, Collection<String> values, String tail, RowReader reader) {
        List<String> distinct = List.copyOf(new java.util.LinkedHashSet<>(values));
        for (int from = 0; from < distinct.size(); from += 500) {
            List<String> chunk = distinct.subList(from, Math.min(distinct.size(), from + 500));
            query(head + " IN (" + marks(chunk.size()) + ")" + tail, ps -> {
                for (int i = 0; i < chunk.size(); i++) ps.setString(i + 1, chunk.get(i));
            }, reader);
        }
    }

    private static String marks(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    /** The pending approvals of each of these runs that has some: one query over the approvals' primary key. */
    private Map<String, Integer> waitingApprovals(List<RunRecord> runs) {
        Map<String, Integer> waiting = new HashMap<>();
        if (runs.isEmpty()) return waiting;
        query("SELECT run_id, COUNT(*) FROM baton_approvals WHERE status = 'PENDING' AND run_id IN (" + marks(runs.size()) + ") GROUP BY run_id", ps -> {
            for (int i = 0; i < runs.size(); i++) ps.setString(i + 1, runs.get(i).id());
        }, rs -> waiting.put(rs.getString(1), rs.getInt(2)));
        return waiting;
    }

    @Override
    public List<ApprovalRecord> approvals(String status) {
        List<ApprovalRecord> approvals = new ArrayList<>();
        query("SELECT run_id, task_id, title, tool, args, requested_at_ms, expires_at_ms, escalated, status "
                + "FROM baton_approvals WHERE status = ? ORDER BY requested_at_ms, run_id, task_id",
                ps -> ps.setString(1, status), rs -> approvals.add(new ApprovalRecord(
                        rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), json(rs.getString(5)),
                        Instant.ofEpochMilli(rs.getLong(6)), instant(rs, 7), rs.getBoolean(8), rs.getString(9))));
        return approvals;
    }

    @Override
    public Optional<TicketRecord> ticket(String id) {
        List<TicketRecord> found = new ArrayList<>(1);
        query(TicketSql.SELECT + " WHERE id = ?", ps -> ps.setString(1, id), rs -> found.add(TicketSql.read(rs)));
        return found.stream().findFirst();
    }

    @Override
    public TicketPage tickets(TicketQuery q) {
        List<TicketRecord> tickets = new ArrayList<>();
        Map<String, Object> filters = new LinkedHashMap<>();
        filters.put("status", q.status());
        filters.put("queue", q.queue());
        newestFirst(TicketSql.SELECT, filters, q.cursor(), q.limit(), rs -> tickets.add(TicketSql.read(rs)));
        if (tickets.size() <= q.limit()) return new TicketPage(tickets, null);
        List<TicketRecord> page = List.copyOf(tickets.subList(0, q.limit()));
        TicketRecord last = page.get(page.size() - 1);
        return new TicketPage(page, new RunCursor(last.createdAt(), last.id()).encode());
    }

    @Override
    public List<TicketRecord> confirmedTickets() {
        List<TicketRecord> tickets = new ArrayList<>();
        query(TicketSql.SELECT + " WHERE confirmed_category IS NOT NULL ORDER BY updated_at_ms, id", ps -> {
        }, rs -> tickets.add(TicketSql.read(rs)));
        return tickets;
    }

    @Override
    public List<TicketRecord> confirmedTicketsSince(Instant updatedAfter) {
        List<TicketRecord> tickets = new ArrayList<>();
        query(TicketSql.SELECT + " WHERE confirmed_category IS NOT NULL AND updated_at_ms > ? ORDER BY updated_at_ms, id",
                ps -> ps.setLong(1, updatedAfter.toEpochMilli()), rs -> tickets.add(TicketSql.read(rs)));
        return tickets;
    }

    @Override
    public void ping() {
        try (Connection c = pool.getConnection()) {
            if (!c.isValid(1)) throw new JournalException(dialect.name() + " did not answer within a second", null, true);
        } catch (SQLException e) {
            throw readFailure(e);
        }
    }

    @Override
    public void bindMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
        writer.meters.bind(registry, writer::stats);
    }

    @Override
    public JournalStats stats() {
        return writer.stats();
    }

    /** Writes what is queued, then closes the pool (and with it an embedded H2 database). */
    @Override
    public void close() {
        writer.close();
    }

    @Override
    public String toString() {
        return "JdbcJournal[" + dialect.name() + "]";
    }

    // ---- writing ----

    /** The writer's transactions. */
    private final class Store implements GroupCommitWriter.Store {
        @Override
        public void write(List<RunEvent> events) throws SQLException {
            // Both throw IllegalArgumentException on a malformed event: a refusal, before any SQL.
            RowChanges changes = Projection.changesOf(events);
            TicketProjection.Changes tickets = TicketProjection.changesOf(events);
            String[] dataJson = SqlBatch.dataJson(events);
            WriteFence writer = fence;
            try (Connection c = pool.getConnection()) {
                c.setAutoCommit(false);
                try {
                    if (writer != null) writer.check(c);
                    sqlBatch.write(c, events, dataJson, changes, writer == null ? null : writer.epoch());
                    TicketSql.write(c, tickets);
                    c.commit();
                } catch (SQLException | RuntimeException e) {
                    rollbackQuietly(c);
                    throw e;
                }
            }
        }

        @Override
        public boolean isUnavailable(Exception failure) {
            return Unavailable.test(failure);
        }

        @Override
        public boolean failsEveryWrite(Exception failure) {
            // A fenced node's every write fails alike: no point writing its appends one by one.
            return failure instanceof WriteFence.Fenced || Unavailable.test(failure);
        }

        @Override
        public boolean isConnectionLost(Exception failure) {
            return Unavailable.connectionLost(failure);
        }

        @Override
        public void reconnect() {
            // Hikari drops connections it saw fail with a connection error, but not an embedded H2
            // whose database closed itself (a full disk): evict them all, the next borrow reopens it.
            pool.getHikariPoolMXBean().softEvictConnections();
        }

        @Override
        public JournalException describe(Exception failure) {
            if (failure instanceof WriteFence.Fenced) return new JournalException(failure.getMessage(), failure, true);
            boolean away = isUnavailable(failure);
            String what = away ? "to " + dialect.name() + " failed" : "refused by " + dialect.name();
            return new JournalException("journal write " + what + ": " + sqlMessage(failure), failure, away);
        }
    }

    private static void rollbackQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // The original failure is what matters.
        }
    }

    // ---- reading ----

    private static final String RUN_COLUMNS = "id, goal, status, created_at_ms, updated_at_ms, idempotency_key, request_hash, "
            + "llm_calls, prompt_tokens, completion_tokens, trigger_name";

    /** A filter that is a LIKE pattern (its escape character is the backslash), not a value to equal. */
    private record Like(String pattern) {
    }

    private interface Binder {
        void bind(PreparedStatement ps) throws SQLException;
    }

    private interface RowReader {
        void read(ResultSet rs) throws SQLException;
    }

    /**
     * One page of a list that is newest first and paged by (created_at_ms, id), as the runs list
     * and the tickets list are: the rows matching the non-null {@code filters} (column = value, or LIKE a {@link Like}),
     * strictly after the cursor, at most {@code limit + 1} of them (one more tells whether a next
     * page exists).
     */
    private void newestFirst(String select, Map<String, Object> filters, String cursor, int limit, RowReader reader) {
        RunCursor after = RunCursor.decode(cursor);
        StringBuilder sql = new StringBuilder(select);
        List<Object> params = new ArrayList<>();
        String glue = " WHERE ";
        for (Map.Entry<String, Object> filter : filters.entrySet()) {
            if (filter.getValue() == null) continue;
            if (filter.getValue() instanceof Like like) {
                // Both sides lowered by the database, so H2 and PostgreSQL agree with themselves whatever their locale.
                sql.append(glue).append("LOWER(").append(filter.getKey()).append(") LIKE LOWER(?) ESCAPE '\\'");
                params.add(like.pattern());
            } else {
                sql.append(glue).append(filter.getKey()).append(" = ?");
                params.add(filter.getValue());
            }
            glue = " AND ";
        }
        if (after != null) {
            // Rows strictly after (created, id) in DESC order; the first term lets the index narrow the range.
            long created = after.createdAt().toEpochMilli();
            sql.append(glue).append("created_at_ms <= ? AND (created_at_ms < ? OR id < ?)");
            params.add(created);
            params.add(created);
            params.add(after.id());
        }
        sql.append(" ORDER BY created_at_ms DESC, id DESC LIMIT ?");
        params.add(limit + 1);
        query(sql.toString(), ps -> {
            for (int i = 0; i < params.size(); i++) ps.setObject(i + 1, params.get(i));
        }, reader);
    }

    private void query(String sql, Binder binder, RowReader reader) {
        try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) reader.read(rs);
            }
        } catch (SQLException e) {
            throw readFailure(e);
        }
    }

    private Optional<RunRecord> oneRun(String where, String value) {
        List<RunRecord> runs = new ArrayList<>(1);
        query("SELECT " + RUN_COLUMNS + " FROM baton_runs WHERE " + where, ps -> ps.setString(1, value),
                rs -> runs.add(runRecord(rs)));
        return runs.stream().findFirst();
    }

    private static RunEvent event(ResultSet rs) throws SQLException {
        return EventCodec.fromStored(rs.getString(1), rs.getLong(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4)),
                rs.getString(5));
    }

    private static RunRecord runRecord(ResultSet rs) throws SQLException {
        return new RunRecord(rs.getString(1), rs.getString(2), rs.getString(3), Instant.ofEpochMilli(rs.getLong(4)),
                Instant.ofEpochMilli(rs.getLong(5)), rs.getString(6), rs.getString(7), rs.getLong(8), rs.getLong(9),
                rs.getLong(10), rs.getString(11));
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        long millis = rs.getLong(column);
        return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
    }

    private static JsonNode json(String text) {
        if (text == null) return null;
        try {
            return Json.parse(text);
        } catch (JsonProcessingException e) {
            throw new JournalException("corrupt approval arguments in the journal: " + e.getOriginalMessage(), e);
        }
    }

    private JournalException readFailure(SQLException e) {
        if (Unavailable.connectionLost(e) || Unavailable.test(e)) pool.getHikariPoolMXBean().softEvictConnections();
        return new JournalException("journal read from " + dialect.name() + " failed: " + sqlMessage(e), e, Unavailable.test(e));
    }

    // ---- URLs and messages ----

    /** Adds the journal's H2 defaults for the options the URL does not set itself. */
    static String withH2Defaults(String url) {
        String upper = url.toUpperCase();
        StringBuilder out = new StringBuilder(url);
        if (!upper.contains(";WRITE_DELAY=")) out.append(";WRITE_DELAY=0");
        if (!upper.contains(";DB_CLOSE_ON_EXIT=")) out.append(";DB_CLOSE_ON_EXIT=FALSE");
        // No trace file beside the database: on a full disk H2 writes its errors there and fills it again.
        if (!upper.contains(";TRACE_LEVEL_FILE=")) out.append(";TRACE_LEVEL_FILE=0");
        return out.toString();
    }

    /** The URL with any password replaced by {@code ***}, fit for messages and logs. */
    static String redact(String url) {
        return url == null ? null : PASSWORD.matcher(url).replaceAll("$1***");
    }

    /**
     * The database's own words for a failure, without any password: the driver's message (the
     * first SQLException in the chain; it says more than the socket error under it), else the
     * innermost one.
     */
    private static String reason(Throwable e, String password) {
        Throwable pick = e;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            pick = t;
            if (t instanceof SQLException) break;
        }
        String message = pick instanceof SQLException s ? sqlMessage(s) : String.valueOf(pick.getMessage());
        message = redact(message);
        if (password != null && !password.isEmpty()) message = message.replace(password, "***");
        return message;
    }

    /** A batch failure's message is generic; the cause the database gave is in the next exception. */
    private static String sqlMessage(Exception e) {
        if (e instanceof BatchUpdateException b && b.getNextException() != null) return b.getNextException().getMessage();
        return e.getMessage();
    }
}
