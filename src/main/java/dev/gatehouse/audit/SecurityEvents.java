package dev.gatehouse.audit;

import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.db.Sql;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.UUID;

/**
 * The security log: what happened to an account, when, from where. Users read their own
 * (newest first). Details hold counts and method names, never a secret.
 */
public final class SecurityEvents {

  private static final Logger LOG = LoggerFactory.getLogger(SecurityEvents.class);

  public static final String SIGNED_UP = "account.created";
  public static final String SIGNED_IN = "signin.succeeded";
  public static final String SIGNED_OUT = "signout";
  public static final String PASSWORD_FAILED = "signin.password_failed";
  public static final String SUDO_GRANTED = "sudo.granted";

  private static final String INSERT = """
      INSERT INTO security_events (user_id, type, ip, user_agent, details) VALUES ($1, $2, $3, $4, $5)""";
  // One event per user, each with details of its own, in one statement however many users there are.
  private static final String INSERT_EACH = """
      INSERT INTO security_events (user_id, type, details)
      SELECT e.user_id, $1, e.details::jsonb FROM unnest($2::uuid[], $3::text[]) AS e(user_id, details)""";
  private static final String PAGE = """
      SELECT id, type, occurred_at, ip, user_agent, details FROM security_events
      WHERE user_id = $1 AND ($2::bigint IS NULL OR id < $2)
      ORDER BY id DESC LIMIT $3""";

  private final Pool pool;

  public SecurityEvents(Pool pool) {
    this.pool = pool;
  }

  /**
   * Records an event on its own, best effort: a failure to record is logged and does not fail the
   * caller's request (for events beside an outcome that already happened, like a sign-out).
   */
  public Future<Void> recordBestEffort(UUID userId, String type, ClientInfo client, JsonObject details) {
    return recordIn(pool, userId, type, client, details).recover(err -> {
      LOG.warn("Could not record security event {}: {}", type, err.toString());
      return Future.succeededFuture();
    });
  }

  /** Records an event inside the caller's transaction: it commits or fails with the change it describes. */
  public Future<Void> recordIn(SqlClient tx, UUID userId, String type, ClientInfo who, JsonObject details) {
    return tx.preparedQuery(INSERT)
        .execute(Tuple.of(userId, type, who == null ? null : who.ip(), who == null ? null : who.userAgent(),
            details == null ? new JsonObject() : details))
        .mapEmpty();
  }

  /**
   * Records an event of this type in each of these users' logs, inside the caller's transaction:
   * something that happened to them all, done by someone else (so no address or user agent, which
   * would be that someone's).
   */
  public Future<Void> recordForEach(SqlClient tx, String type, Map<UUID, JsonObject> details) {
    if (details.isEmpty()) {
      return Future.succeededFuture();
    }
    UUID[] users = details.keySet().toArray(UUID[]::new);
    String[] texts = new String[users.length];
    for (int i = 0; i < users.length; i++) {
      texts[i] = details.get(users[i]).encode();
    }
    return tx.preparedQuery(INSERT_EACH).execute(Tuple.of(type, users, texts)).mapEmpty();
  }

  /**
   * Records events inside a larger statement (a CTE body): {@code rows} is a SELECT of
   * {@code (ord, type, details)} whose rows become one user's events, in {@code ord} order so the
   * log reads in the order things happened.
   */
  public static Sql insertFragment(UUID userId, ClientInfo who, Sql rows) {
    return rows.wrap("""
        INSERT INTO security_events (user_id, type, ip, user_agent, details)
        SELECT :user, e.type, :ip, :user_agent, e.details FROM (%s) AS e ORDER BY e.ord""")
        .bind("user", userId).bind("ip", who == null ? null : who.ip())
        .bind("user_agent", who == null ? null : who.userAgent());
  }

  /** A page of the user's events, newest first; {@code before} is the id of the last event seen. */
  public Future<JsonObject> page(UUID userId, Long before, int limit) {
    return pool.preparedQuery(PAGE).execute(Tuple.of(userId, before, limit + 1)).map(rows -> {
      JsonArray events = new JsonArray();
      Long last = null;
      int n = 0;
      for (Row row : rows) {
        if (n++ == limit) {
          break;
        }
        last = row.getLong("id");
        events.add(new JsonObject()
            .put("id", last)
            .put("type", row.getString("type"))
            .put("at", row.getOffsetDateTime("occurred_at").toInstant().toString())
            .put("ip", row.getString("ip"))
            .put("userAgent", row.getString("user_agent"))
            .put("details", row.getJsonObject("details")));
      }
      JsonObject page = new JsonObject().put("events", events);
      if (rows.size() > limit) {
        page.put("next", last);
      }
      return page;
    });
  }
}
