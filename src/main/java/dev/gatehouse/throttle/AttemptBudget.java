package dev.gatehouse.throttle;

import dev.gatehouse.metrics.Metrics;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/**
 * One kind of attempt budget (a scope: "second_step", "password_account", …), kept in PostgreSQL so
 * that every session and every node shares it. An attempt is charged <em>before</em> it is checked,
 * with one atomic upsert, so that even a burst of parallel attempts gets exactly {@code limit}
 * checks per window; a success then resets the budget (when it proves the owner) or refunds its own
 * charge (when it proves nothing about the key, e.g. a client address).
 *
 * <p>The wrong attempt that uses up the budget blocks the key for {@code block}, doubling with each
 * further block up to {@code maxBlock}; blocks are forgotten once the row has been idle for
 * {@code memory}. Times come from the application clock (so tests can move it).
 */
public final class AttemptBudget {

  /** A scope's rules; durations are whole milliseconds in SQL. */
  public record Policy(String scope, int limit, Duration window, Duration block, Duration maxBlock, Duration memory) {

    public Policy {
      if (limit < 1 || window.isNegative() || window.isZero() || block.isNegative() || maxBlock.compareTo(block) < 0) {
        throw new IllegalArgumentException("attempt budget " + scope + " is not usable");
      }
    }

    /** How long the next block lasts after {@code lockouts} earlier ones. */
    Duration blockAfter(int lockouts) {
      Duration d = block;
      for (int i = 0; i < lockouts && d.compareTo(maxBlock) < 0; i++) {
        d = d.multipliedBy(2);
      }
      return d.compareTo(maxBlock) > 0 ? maxBlock : d;
    }
  }

  /**
   * What charging one attempt found. When {@code allowed}, the attempt may be checked; it is the
   * {@code count}-th of the window. When not, {@code retryAfterSeconds} says when to come back.
   */
  public record Charge(AttemptBudget budget, String key, boolean allowed, int count, OffsetDateTime windowStart,
                       int lockouts, long retryAfterSeconds) {

    /** True when this attempt, if wrong, uses up the budget. */
    public boolean last() {
      return count >= budget.policy.limit();
    }
  }

  // $3 is always "now" by the application clock; durations are milliseconds.
  private static final String CHARGE = """
      INSERT INTO attempt_budgets AS b (scope, key, failures, window_start, blocked_until, lockouts, expires_at)
      VALUES ($1, $2, 1, $3::timestamptz, NULL, 0, $3::timestamptz + ($4::bigint + $5::bigint) * interval '1 millisecond')
      ON CONFLICT (scope, key) DO UPDATE SET
        failures = CASE
            WHEN b.blocked_until > $3::timestamptz THEN b.failures
            WHEN b.blocked_until IS NOT NULL OR b.window_start + $4::bigint * interval '1 millisecond' <= $3::timestamptz THEN 1
            ELSE b.failures + 1 END,
        window_start = CASE
            WHEN b.blocked_until > $3::timestamptz THEN b.window_start
            WHEN b.blocked_until IS NOT NULL OR b.window_start + $4::bigint * interval '1 millisecond' <= $3::timestamptz THEN $3::timestamptz
            ELSE b.window_start END,
        lockouts = CASE WHEN b.expires_at <= $3::timestamptz THEN 0 ELSE b.lockouts END,
        blocked_until = CASE WHEN b.blocked_until > $3::timestamptz THEN b.blocked_until END,
        expires_at = CASE WHEN b.blocked_until > $3::timestamptz THEN b.expires_at
            ELSE GREATEST(b.expires_at, $3::timestamptz + ($4::bigint + $5::bigint) * interval '1 millisecond') END
      RETURNING failures, window_start, blocked_until, lockouts""";
  private static final String LOCK = """
      UPDATE attempt_budgets SET
        blocked_until = $3::timestamptz + $4::bigint * interval '1 millisecond',
        lockouts = lockouts + 1,
        failures = 0,
        expires_at = GREATEST(expires_at, $3::timestamptz + ($4::bigint + $5::bigint) * interval '1 millisecond')
      WHERE scope = $1 AND key = $2 AND (blocked_until IS NULL OR blocked_until <= $3::timestamptz)
      RETURNING blocked_until""";
  private static final String REFUND = """
      UPDATE attempt_budgets SET failures = failures - 1
      WHERE scope = $1 AND key = $2 AND window_start = $3 AND failures > 0 AND blocked_until IS NULL""";
  private static final String RESET = "DELETE FROM attempt_budgets WHERE scope = $1 AND key = $2";
  private static final String BLOCKED_UNTIL = """
      SELECT blocked_until FROM attempt_budgets WHERE scope = $1 AND key = $2 AND blocked_until > $3::timestamptz""";

  private static final String PRUNE = """
      DELETE FROM attempt_budgets WHERE (scope, key) IN (
        SELECT scope, key FROM attempt_budgets WHERE expires_at < $1 LIMIT 5000 FOR UPDATE SKIP LOCKED)""";

  private final Pool pool;
  private final Policy policy;
  private final Clock clock;
  private final Metrics metrics;

  public AttemptBudget(Pool pool, Policy policy, Clock clock, Metrics metrics) {
    this.pool = pool;
    this.policy = policy;
    this.clock = clock;
    this.metrics = metrics;
  }

  public Policy policy() {
    return policy;
  }

  /** Charges one attempt against the key: one atomic statement, counted whoever else is charging. */
  public Future<Charge> charge(String key) {
    OffsetDateTime now = now();
    return pool.preparedQuery(CHARGE)
        .execute(Tuple.of(policy.scope(), key, now, policy.window().toMillis(), policy.memory().toMillis()))
        .map(rows -> {
          Row row = rows.iterator().next();
          int count = row.getInteger("failures");
          OffsetDateTime windowStart = row.getOffsetDateTime("window_start");
          OffsetDateTime blockedUntil = row.getOffsetDateTime("blocked_until");
          int lockouts = row.getInteger("lockouts");
          if (blockedUntil != null && blockedUntil.isAfter(now)) {
            return new Charge(this, key, false, count, windowStart, lockouts, secondsUntil(now, blockedUntil));
          }
          if (count > policy.limit()) {
            // Over the limit in a burst whose last checked attempt has not locked yet: the window holds.
            return new Charge(this, key, false, count, windowStart, lockouts,
                secondsUntil(now, windowStart.plus(policy.window())));
          }
          return new Charge(this, key, true, count, windowStart, lockouts, 0);
        });
  }

  /**
   * Blocks the key after the wrong attempt that used up the budget; answers the seconds until the
   * block ends. A concurrent lock that got there first is kept as it is.
   */
  public Future<Long> lock(Charge charge) {
    OffsetDateTime now = now();
    Duration block = policy.blockAfter(charge.lockouts());
    return pool.preparedQuery(LOCK)
        .execute(Tuple.of(policy.scope(), charge.key(), now, block.toMillis(), policy.memory().toMillis()))
        .map(rows -> {
          if (rows.size() == 0) {
            return Math.max(1, block.toSeconds());
          }
          // Counted by the node whose statement placed the block, so a burst counts it once.
          metrics.budgetBlocked(policy.scope());
          return secondsUntil(now, rows.iterator().next().getOffsetDateTime("blocked_until"));
        });
  }

  /**
   * Counts a failure after the fact (for budgets where only failures count, so that concurrent
   * successes never use the budget up): one charge, and a block when it reaches the limit. Answers
   * the seconds the key is now blocked for, 0 when it is not.
   */
  public Future<Long> fail(String key) {
    return charge(key).compose(charge -> {
      if (!charge.allowed() && charge.count() <= policy.limit()) {
        return Future.succeededFuture(charge.retryAfterSeconds()); // blocked already
      }
      return charge.count() >= policy.limit() ? lock(charge) : Future.succeededFuture(0L);
    });
  }

  /** Gives back an attempt that turned out right (or was not a real attempt, e.g. malformed input). */
  public Future<Void> refund(Charge charge) {
    if (!charge.allowed()) {
      return Future.succeededFuture();
    }
    return pool.preparedQuery(REFUND).execute(Tuple.of(policy.scope(), charge.key(), charge.windowStart())).mapEmpty();
  }

  /** Forgets the key's failures and blocks: only after a success that proves the key's owner. */
  public Future<Void> reset(String key) {
    return pool.preparedQuery(RESET).execute(Tuple.of(policy.scope(), key)).mapEmpty();
  }

  /** Seconds the key stays blocked, 0 when it is not; changes nothing. */
  public Future<Long> blockedFor(String key) {
    OffsetDateTime now = now();
    return pool.preparedQuery(BLOCKED_UNTIL).execute(Tuple.of(policy.scope(), key, now))
        .map(rows -> rows.size() == 0 ? 0L : secondsUntil(now, rows.iterator().next().getOffsetDateTime(0)));
  }

  /** Deletes a batch of budgets that mean nothing any more (safe on every node at once); answers how many. */
  public static Future<Integer> pruneExpired(Pool pool, Instant now) {
    return pool.preparedQuery(PRUNE).execute(Tuple.of(OffsetDateTime.ofInstant(now, ZoneOffset.UTC)))
        .map(rows -> rows.rowCount());
  }

  private OffsetDateTime now() {
    return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  private static long secondsUntil(OffsetDateTime now, OffsetDateTime until) {
    long millis = Duration.between(now, until).toMillis();
    return Math.max(1, (millis + 999) / 1000);
  }
}
