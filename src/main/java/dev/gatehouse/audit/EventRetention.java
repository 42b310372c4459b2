package dev.gatehouse.audit;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * Forgets security events older than the retention period. Safe when every node runs it at once:
 * each DELETE takes a batch of rows no one else has locked ({@code SKIP LOCKED}), so nodes share
 * the work instead of waiting on each other, and deleting what is gone already is a no-op.
 */
public final class EventRetention {

  public static final String RETENTION_DAYS = "GATEHOUSE_SECURITY_EVENTS_RETENTION_DAYS";
  static final int BATCH = 5_000;

  private static final String PRUNE = """
      DELETE FROM security_events WHERE id IN (
        SELECT id FROM security_events WHERE occurred_at < $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)""";

  private final Pool pool;

  public EventRetention(Pool pool) {
    this.pool = pool;
  }

  /** Deletes every event that occurred before {@code cutoff}, a batch at a time; answers how many. */
  public Future<Integer> pruneBefore(Instant cutoff) {
    return pruneBatches(OffsetDateTime.ofInstant(cutoff, ZoneOffset.UTC), 0);
  }

  private Future<Integer> pruneBatches(OffsetDateTime cutoff, int sofar) {
    return pool.preparedQuery(PRUNE).execute(Tuple.of(cutoff, BATCH)).compose(rows -> {
      int total = sofar + rows.rowCount();
      return rows.rowCount() < BATCH ? Future.succeededFuture(total) : pruneBatches(cutoff, total);
    });
  }
}
