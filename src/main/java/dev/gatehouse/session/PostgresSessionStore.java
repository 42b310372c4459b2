package dev.gatehouse.session;

import dev.gatehouse.db.Sql;
import dev.gatehouse.http.Problem;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.prng.VertxContextPRNG;
import io.vertx.ext.web.Session;
import io.vertx.ext.web.sstore.SessionStore;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Sessions in PostgreSQL behind vertx-web's {@link SessionStore} (docs/security.md 28-30), so that any
 * node serves any session and a restart signs nobody out. The table is keyed by a SHA-256 of the
 * session id, never the id. Every read checks the idle (30 minutes) and absolute (12 hours) limits
 * against this node's clock. A session is written only once it holds something (the password step or
 * an SSO start): an anonymous visitor costs no row. After that, an ordinary request costs one
 * statement and writes nothing: last-seen moves on in that statement at most once a minute, the data
 * is written only when it changed, and a new id re-keys the row in one statement.
 */
public final class PostgresSessionStore implements SessionStore {

  public static final Duration IDLE_TIMEOUT = Duration.ofMinutes(30);
  public static final Duration ABSOLUTE_TIMEOUT = Duration.ofHours(12);
  /** How stale last-seen may get before a request writes it again. */
  static final Duration LAST_SEEN_EVERY = Duration.ofMinutes(1);
  static final int PRUNE_BATCH = 5_000;
  /** What SessionHandler's ids look like (16 random bytes in hex): anything else was never issued. */
  private static final Pattern ID = Pattern.compile("[0-9a-f]{" + 2 * DEFAULT_SESSIONID_LENGTH + "}");

  // The one statement per request: the session if it is live by this node's clock, and its last-seen
  // moved on when it is more than a minute old (so most requests write nothing, and none races the next).
  private static final String READ = """
      WITH live AS (
        SELECT handle, data, last_seen_at FROM sessions
        WHERE id_hash = $1 AND idle_expires_at > $2 AND absolute_expires_at > $2),
      touched AS (
        UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3
        WHERE id_hash = $1 AND last_seen_at <= $4 AND EXISTS (SELECT 1 FROM live)
        RETURNING last_seen_at)
      SELECT handle, data, COALESCE((SELECT last_seen_at FROM touched), live.last_seen_at) AS last_seen_at FROM live""";
  private static final String INSERT = """
      INSERT INTO sessions (id_hash, handle, user_id, pending_user_id, data, method, sso_organisation_id, user_agent,
                            address, created_at, last_seen_at, idle_expires_at, absolute_expires_at)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12)""";
  // New data and/or a new id in one statement; a row ended meanwhile (0 rows) stays ended.
  private static final String SAVE = """
      UPDATE sessions SET id_hash = $2, user_id = $3, pending_user_id = $4, data = $5, method = $6,
                          sso_organisation_id = $7, last_seen_at = $8, idle_expires_at = $9
      WHERE id_hash = $1""";
  private static final String DELETE = "DELETE FROM sessions WHERE id_hash = $1";
  private static final String COUNT = """
      SELECT count(*) FROM sessions WHERE idle_expires_at > $1 AND absolute_expires_at > $1""";
  private static final String CLEAR = "DELETE FROM sessions";
  // Several nodes prune at once: each takes a batch nobody else has locked.
  private static final String PRUNE = """
      DELETE FROM sessions WHERE id_hash IN (
        SELECT id_hash FROM sessions WHERE LEAST(idle_expires_at, absolute_expires_at) <= $1
        LIMIT $2 FOR UPDATE SKIP LOCKED)""";
  // Where a person is signed in, newest first.
  private static final String LIST = """
      SELECT handle, id_hash = $2 AS current, created_at, last_seen_at, method, user_agent, address
      FROM sessions WHERE user_id = $1 AND idle_expires_at > $3 AND absolute_expires_at > $3
      ORDER BY created_at DESC, handle""";
  // Only the owner's own sessions: a handle of someone else's matches nothing.
  private static final String END_ONE = """
      DELETE FROM sessions WHERE handle = $1 AND user_id = $2
      RETURNING id_hash = $3 AS current, user_agent""";
  // Signed-in and pending (someone past the password step) sessions of the account, all but this one.
  private static final String END_OTHERS = """
      DELETE FROM sessions WHERE (user_id = $1 OR pending_user_id = $1) AND id_hash <> $2 RETURNING handle""";
  // A credential was linked at a sign-in: every other session ends; this one (just given a new id by
  // the sign-in, moved when it is saved) stays, if it is stored yet.
  private static final String END_ALL_BUT = """
      DELETE FROM sessions WHERE (user_id = $1 OR pending_user_id = $1) AND ($2::bytea IS NULL OR id_hash <> $2)""";
  // A credential changed: the other sessions end and this one moves to a new id, in one statement.
  private static final String END_OTHERS_AND_REKEY = """
      WITH ended AS (
        DELETE FROM sessions WHERE (user_id = $1 OR pending_user_id = $1) AND id_hash <> $2 RETURNING 1),
      moved AS (
        UPDATE sessions SET id_hash = $3 WHERE id_hash = $2 RETURNING 1)
      SELECT (SELECT count(*) FROM ended) AS ended, (SELECT count(*) FROM moved) AS moved""";

  // The sign-in a second factor completes, written inside the statement that settles the factor:
  // the pending session (still this user's, not ended meanwhile) signed in under its new id.
  private static final String SIGN_IN = """
      UPDATE sessions SET id_hash = :session_next, user_id = :session_user, pending_user_id = NULL,
                          data = :session_data, method = :session_method, sso_organisation_id = NULL,
                          last_seen_at = :session_now, idle_expires_at = :session_idle
      WHERE id_hash = :session_current AND pending_user_id = :session_user%s
      RETURNING handle""";

  // An organisation's provider changed or was switched off: the sessions it vouched for end, whosever they are.
  private static final String END_THROUGH_PROVIDER = """
      DELETE FROM sessions WHERE method = 'sso' AND sso_organisation_id = $1 RETURNING user_id""";

  private final Pool pool;
  private final Clock clock;
  private final VertxContextPRNG prng;

  public PostgresSessionStore(Vertx vertx, Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
    this.prng = VertxContextPRNG.current(vertx);
  }

  /** One session as its owner sees it in the list. */
  public record Listed(UUID handle, boolean current, OffsetDateTime createdAt, OffsetDateTime lastSeenAt,
                       String method, String userAgent, String address) {
  }

  /** A session ended by its owner: was it the one asking, and what it ran on. */
  public record Ended(boolean current, String userAgent) {
  }

  @Override
  public SessionStore init(Vertx vertx, JsonObject options) {
    return this;
  }

  /** No retry: a row committed on one node is visible to every other at once. */
  @Override
  public long retryTimeout() {
    return 0;
  }

  @Override
  public Session createSession(long timeout) {
    return createSession(timeout, DEFAULT_SESSIONID_LENGTH);
  }

  @Override
  public Session createSession(long timeout, int length) {
    return new StoredSession(prng, timeout, length);
  }

  @Override
  public Future<Session> get(String cookieValue) {
    if (cookieValue == null || !ID.matcher(cookieValue).matches()) {
      return Future.succeededFuture(); // never issued: no reason to ask the database
    }
    long now = clock.millis();
    return pool.preparedQuery(READ).execute(Tuple.of(hash(cookieValue), at(now), at(now + IDLE_TIMEOUT.toMillis()),
        at(now - LAST_SEEN_EVERY.toMillis()))).map(rows -> {
      if (rows.size() == 0) {
        return null;
      }
      Row row = rows.iterator().next();
      Map<String, Object> data = new HashMap<>();
      row.getJsonObject("data").forEach(e -> {
        if (e.getValue() != null) {
          data.put(e.getKey(), e.getValue());
        }
      });
      return StoredSession.loaded(prng, cookieValue, IDLE_TIMEOUT.toMillis(), row.getUUID("handle"), data,
          row.getOffsetDateTime("last_seen_at").toInstant().toEpochMilli());
    });
  }

  /** Deletes a session's row; {@code null} (no old id to delete, see {@link StoredSession#oldId}) is a no-op. */
  @Override
  public Future<Void> delete(String id) {
    if (id == null) {
      return Future.succeededFuture();
    }
    return pool.preparedQuery(DELETE).execute(Tuple.of(hash(id))).mapEmpty();
  }

  @Override
  public Future<Void> put(Session session) {
    if (!(session instanceof StoredSession stored) || stored.isDestroyed()) {
      return Future.succeededFuture();
    }
    long now = clock.millis();
    if (!stored.stored()) {
      // Nothing in it, nothing to keep: an anonymous visitor leaves no row (docs/security.md 30).
      return stored.isEmpty() ? Future.succeededFuture() : insert(stored, now);
    }
    if (stored.isEmpty()) {
      // Nothing left in it (an SSO start that came to nothing): not worth a row either.
      return pool.preparedQuery(DELETE).execute(Tuple.of(hash(stored.storedId()))).map(rows -> {
        stored.dropped();
        return (Void) null;
      });
    }
    if (stored.moved() || stored.changed()) {
      Map<String, Object> data = stored.snapshot();
      return pool.preparedQuery(SAVE).execute(Tuple.from(new Object[] {hash(stored.storedId()), hash(stored.id()),
              uuid(data.get(SessionUser.USER)), uuid(data.get(SessionUser.PENDING_USER)), new JsonObject(data),
              text(data.get(SessionUser.METHOD)), uuid(data.get(SessionUser.SSO_ORGANISATION)), at(now),
              at(now + IDLE_TIMEOUT.toMillis())}))
          .compose(rows -> {
            if (rows.rowCount() == 0) {
              // Ended meanwhile (signed out elsewhere, a password change): it stays ended.
              return Future.failedFuture(Problem.notSignedIn());
            }
            stored.written(data, stored.handle());
            return Future.<Void>succeededFuture();
          });
    }
    return Future.succeededFuture(); // most requests: nothing to write (last-seen moves on in the read)
  }

  private Future<Void> insert(StoredSession session, long now) {
    Map<String, Object> data = session.snapshot();
    UUID handle = UUID.randomUUID();
    return pool.preparedQuery(INSERT).execute(Tuple.from(new Object[] {hash(session.id()), handle,
            uuid(data.get(SessionUser.USER)), uuid(data.get(SessionUser.PENDING_USER)), new JsonObject(data),
            text(data.get(SessionUser.METHOD)), uuid(data.get(SessionUser.SSO_ORGANISATION)), session.userAgent(),
            session.address(), at(now),
            at(now + IDLE_TIMEOUT.toMillis()), at(now + ABSOLUTE_TIMEOUT.toMillis())}))
        .map(rows -> {
          session.written(data, handle);
          return (Void) null;
        });
  }

  @Override
  public Future<Void> clear() {
    return pool.query(CLEAR).execute().mapEmpty();
  }

  /** Live sessions in the table, every node's. */
  @Override
  public Future<Integer> size() {
    return pool.preparedQuery(COUNT).execute(Tuple.of(at(clock.millis())))
        .map(rows -> rows.iterator().next().getLong(0).intValue());
  }

  @Override
  public void close() {
  }

  /** The signed-in sessions of {@code user}, newest first; {@code current} is the asking session's id. */
  Future<List<Listed>> list(UUID user, String current) {
    return pool.preparedQuery(LIST).execute(Tuple.of(user, hash(current), at(clock.millis())))
        .map(rows -> {
          List<Listed> list = new ArrayList<>();
          for (Row row : rows) {
            list.add(new Listed(row.getUUID("handle"), row.getBoolean("current"), row.getOffsetDateTime("created_at"),
                row.getOffsetDateTime("last_seen_at"), row.getString("method"), row.getString("user_agent"),
                row.getString("address")));
          }
          return list;
        });
  }

  /** Ends one of {@code user}'s sessions by its handle; empty when the user has no such session. */
  Future<Optional<Ended>> end(UUID user, UUID handle, String current) {
    return pool.preparedQuery(END_ONE).execute(Tuple.of(handle, user, hash(current))).map(rows -> rows.size() == 0
        ? Optional.empty()
        : Optional.of(new Ended(rows.iterator().next().getBoolean("current"),
            rows.iterator().next().getString("user_agent"))));
  }

  /** Ends every session of {@code user} but {@code current}; answers the handles of those that ended. */
  Future<List<UUID>> endOthers(UUID user, String current) {
    return pool.preparedQuery(END_OTHERS).execute(Tuple.of(user, hash(current))).map(rows -> {
      List<UUID> ended = new ArrayList<>();
      rows.forEach(row -> ended.add(row.getUUID("handle")));
      return ended;
    });
  }

  /**
   * In the caller's transaction: ends every session of {@code user} but the one stored under
   * {@code current} and moves that one to {@code next}; answers how many ended.
   */
  static Future<Integer> endOthersAndRekey(SqlClient db, UUID user, String current, String next) {
    return db.preparedQuery(END_OTHERS_AND_REKEY).execute(Tuple.of(user, hash(current), hash(next))).compose(rows -> {
      Row row = rows.iterator().next();
      // The asking session itself was ended while its change waited its turn (another session's change
      // ended it): the change is refused, and rolls back with the caller's transaction.
      return row.getLong("moved") == 0 ? Future.failedFuture(Problem.notSignedIn())
          : Future.succeededFuture(row.getLong("ended").intValue());
    });
  }

  /**
   * The pending session stored under {@code current} signed in as {@code user} under {@code next}, with
   * {@code data}, as a data-modifying fragment for a larger statement; {@code condition} adds
   * {@code AND …} to its WHERE clause. Returns the row's handle when it wrote.
   */
  static Sql signInFragment(String current, String next, UUID user, Map<String, Object> data, String method,
                            long now, String condition) {
    return Sql.of(String.format(SIGN_IN, condition))
        .bind("session_next", hash(next)).bind("session_user", user).bind("session_data", new JsonObject(data))
        .bind("session_method", method).bind("session_now", at(now))
        .bind("session_idle", at(now + IDLE_TIMEOUT.toMillis())).bind("session_current", hash(current));
  }

  /** In the caller's transaction: ends every session of {@code user} but the one stored under {@code kept} (if any). */
  static Future<Integer> endAllBut(SqlClient db, UUID user, String kept) {
    return db.preparedQuery(END_ALL_BUT).execute(Tuple.of(user, kept == null ? null : hash(kept)))
        .map(rows -> rows.rowCount());
  }

  /**
   * In the caller's transaction (the change of the organisation's provider): ends every session
   * signed in through the organisation's provider until now; answers whose sessions ended, one
   * entry per session. Sessions signed in any other way stay.
   */
  public static Future<List<UUID>> endThroughProvider(SqlClient db, UUID organisation) {
    return db.preparedQuery(END_THROUGH_PROVIDER).execute(Tuple.of(organisation)).map(rows -> {
      List<UUID> owners = new ArrayList<>();
      rows.forEach(row -> owners.add(row.getUUID("user_id")));
      return owners;
    });
  }

  /** Deletes expired sessions a batch at a time; answers how many. Safe on every node at once. */
  public static Future<Integer> pruneExpired(Pool pool, Instant now) {
    return pruneBatches(pool, OffsetDateTime.ofInstant(now, ZoneOffset.UTC), 0);
  }

  private static Future<Integer> pruneBatches(Pool pool, OffsetDateTime now, int sofar) {
    return pool.preparedQuery(PRUNE).execute(Tuple.of(now, PRUNE_BATCH)).compose(rows -> {
      int total = sofar + rows.rowCount();
      return rows.rowCount() < PRUNE_BATCH ? Future.succeededFuture(total) : pruneBatches(pool, now, total);
    });
  }

  /** SHA-256 of a session id: what the table is keyed by, so a dump of it holds no usable cookie. */
  static Buffer hash(String id) {
    MessageDigest sha256 = SHA256.get();
    sha256.reset();
    return Buffer.buffer(sha256.digest(id.getBytes(StandardCharsets.US_ASCII)));
  }

  /** One digest per thread: getInstance walks the providers on every call, and this runs on every request. */
  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });

  private static OffsetDateTime at(long millis) {
    return OffsetDateTime.ofInstant(Instant.ofEpochMilli(millis), ZoneOffset.UTC);
  }

  private static UUID uuid(Object value) {
    return value instanceof String s ? UUID.fromString(s) : null;
  }

  private static String text(Object value) {
    return value instanceof String s ? s : null;
  }
}
