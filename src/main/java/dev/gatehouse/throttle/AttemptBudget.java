package dev.gatehouse.throttle;

import dev.gatehouse.db.Sql;
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
import java.util.List;

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

  // :now is always "now" by the application clock; durations are milliseconds. The fragments are
  // shared by this class's own statements and by callers that charge or settle a budget inside a
  // larger statement (the factor attempt service), so each rule is written once.
  private static final String MS = " * interval '1 millisecond'";
  private static final String CHARGE = """
      INSERT INTO attempt_budgets AS b (scope, key, failures, window_start, blocked_until, lockouts, expires_at)
      SELECT :scope, :key, 1, :now::timestamptz, NULL::timestamptz, 0,
             :now::timestamptz + (:window_ms::bigint + :memory_ms::bigint)MS
      %s
      ON CONFLICT (scope, key) DO UPDATE SET
        failures = CASE
            WHEN b.blocked_until > :now::timestamptz THEN b.failures
            WHEN b.blocked_until IS NOT NULL OR b.window_start + :window_ms::bigintMS <= :now::timestamptz THEN 1
            ELSE b.failures + 1 END,
        window_start = CASE
            WHEN b.blocked_until > :now::timestamptz THEN b.window_start
            WHEN b.blocked_until IS NOT NULL OR b.window_start + :window_ms::bigintMS <= :now::timestamptz
              THEN :now::timestamptz
            ELSE b.window_start END,
        lockouts = CASE WHEN b.expires_at <= :now::timestamptz THEN 0 ELSE b.lockouts END,
        blocked_until = CASE WHEN b.blocked_until > :now::timestamptz THEN b.blocked_until END,
        expires_at = CASE WHEN b.blocked_until > :now::timestamptz THEN b.expires_at
            ELSE GREATEST(b.expires_at, :now::timestamptz + (:window_ms::bigint + :memory_ms::bigint)MS) END
      RETURNING failures, window_start, blocked_until, lockouts""".replace("MS", MS);
  private static final String LOCK = """
      UPDATE attempt_budgets SET
        blocked_until = :now::timestamptz + :block_ms::bigintMS,
        lockouts = lockouts + 1,
        failures = 0,
        expires_at = GREATEST(expires_at, :now::timestamptz + (:block_ms::bigint + :memory_ms::bigint)MS)
      WHERE scope = :scope AND key = :key AND (blocked_until IS NULL OR blocked_until <= :now::timestamptz)%s
      RETURNING blocked_until""".replace("MS", MS);
  /**
   * A budget whose window never ends (the TOTP lock): one more failure in a row, and the block
   * set in the same statement when it reaches the limit; a success deletes the row.
   */
  private static final String COUNT_IN_A_ROW = """
      INSERT INTO attempt_budgets AS b (scope, key, failures, window_start, blocked_until, lockouts, expires_at)
      SELECT :scope, :key, 1, :now::timestamptz,
             CASE WHEN :limit::int <= 1 THEN :now::timestamptz + interval '100 years' END, 0,
             :now::timestamptz + interval '100 years'
      %s
      ON CONFLICT (scope, key) DO UPDATE SET
        failures = b.failures + 1,
        blocked_until = CASE WHEN b.failures + 1 >= :limit::int THEN :now::timestamptz + interval '100 years'
            ELSE b.blocked_until END
      RETURNING failures, blocked_until""";
  private static final String REFUND = """
      UPDATE attempt_budgets SET failures = failures - 1
      WHERE scope = $1 AND key = $2 AND window_start = $3 AND failures > 0 AND blocked_until IS NULL""";
  private static final String RESET = "DELETE FROM attempt_budgets WHERE key = :key AND scope = ANY(:reset_scopes::text[])%s";
  private static final String BLOCKED_UNTIL = """
      SELECT blocked_until FROM attempt_budgets WHERE scope = :scope AND key = :key AND blocked_until > :now::timestamptz""";

  private static final String PRUNE = """
      DELETE FROM attempt_budgets WHERE (scope, key) IN (
        SELECT scope, key FROM attempt_budgets WHERE expires_at < $1 LIMIT 5000 FOR UPDATE SKIP LOCKED)""";

  private final Pool pool;
  private final Policy policy;
  private final String prefix;
  /** Templates with this budget's names in them: the hot path renames each template once. */
  private final java.util.Map<String, String> renamed = new java.util.concurrent.ConcurrentHashMap<>();
  private final Clock clock;
  private final Metrics metrics;

  public AttemptBudget(Pool pool, Policy policy, Clock clock, Metrics metrics) {
    this.pool = pool;
    this.policy = policy;
    this.prefix = policy.scope().toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9_]", "_") + "_";
    this.clock = clock;
    this.metrics = metrics;
  }

  public Policy policy() {
    return policy;
  }

  /** Charges one attempt against the key: one atomic statement, counted whoever else is charging. */
  public Future<Charge> charge(String key) {
    OffsetDateTime now = now();
    return chargeFragment(key, now, "").execute(pool).map(rows -> chargeFrom(rows.iterator().next(), key, now));
  }

  /**
   * The charge as a fragment for a larger statement (a CTE body): {@code condition} is a
   * {@code WHERE …} clause that can stop the charge (e.g. "unless the factor is locked"), or empty.
   */
  public Sql chargeFragment(String key, OffsetDateTime now, String condition) {
    return fragment(String.format(CHARGE, condition), key, now);
  }

  /** This budget's names in a statement: its scope, made a valid parameter name (worked out once, it is on the hot path). */
  private String prefix() {
    return prefix;
  }

  private static final java.util.regex.Pattern POLICY_NAMES =
      java.util.regex.Pattern.compile("(?<![:\\w]):(scope|window_ms|memory_ms|block_ms|limit)\\b");

  /**
   * A fragment with this budget's policy bound under names of its own ({@code :second_step_limit}),
   * so that several budgets' fragments can share one statement; {@code :key} and {@code :now} are
   * common to them.
   */
  private Sql fragment(String template, String key, OffsetDateTime now) {
    String p = prefix();
    String text = renamed.computeIfAbsent(template, t -> POLICY_NAMES.matcher(t).replaceAll(":" + p + "$1"));
    return Sql.of(text)
        .bind(p + "scope", policy.scope()).bind(p + "window_ms", policy.window().toMillis())
        .bind(p + "memory_ms", policy.memory().toMillis()).bind(p + "limit", policy.limit())
        .bind("key", key).bind("now", now);
  }

  /** Reads a charge from the row its fragment returned ({@code failures, window_start, blocked_until, lockouts}). */
  public Charge chargeFrom(Row row, String key, OffsetDateTime now) {
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
  }

  /**
   * Blocks the key after the wrong attempt that used up the budget; answers the seconds until the
   * block ends. A concurrent lock that got there first is kept as it is.
   */
  public Future<Long> lock(Charge charge) {
    OffsetDateTime now = now();
    return lockFragment(charge, now, "").execute(pool).map(rows -> {
      if (rows.size() > 0) {
        // Counted by the node whose statement placed the block, so a burst counts it once.
        metrics.budgetBlocked(policy.scope());
      }
      return retryAfter(charge, now, rows.size() == 0 ? null : rows.iterator().next().getOffsetDateTime(0));
    });
  }

  /** Counts a block placed inside a larger statement (the factor attempt service's settle). */
  public void blocked() {
    metrics.budgetBlocked(policy.scope());
  }

  /**
   * The lock as a fragment (an UPDATE returning {@code blocked_until}); {@code condition} adds
   * {@code AND …} to its WHERE clause, or is empty.
   */
  public Sql lockFragment(Charge charge, OffsetDateTime now, String condition) {
    return fragment(String.format(LOCK, condition), charge.key(), now)
        .bind(prefix() + "block_ms", policy.blockAfter(charge.lockouts()).toMillis());
  }

  /** Seconds to answer in Retry-After after a lock; a concurrent lock that got there first is kept as it is. */
  public long retryAfter(Charge charge, OffsetDateTime now, OffsetDateTime blockedUntil) {
    return blockedUntil == null ? Math.max(1, policy.blockAfter(charge.lockouts()).toSeconds())
        : secondsUntil(now, blockedUntil);
  }

  /**
   * One more failure in a row for a budget whose window never ends (the TOTP lock), blocking for
   * good at the limit, as a fragment returning {@code failures, blocked_until}. {@code condition}
   * is a {@code WHERE …} clause that can stop it, or empty.
   */
  public Sql countInARowFragment(String key, OffsetDateTime now, String condition) {
    return fragment(String.format(COUNT_IN_A_ROW, condition), key, now);
  }

  /** A SELECT of the key's {@code blocked_until} while it is blocked (no row otherwise). */
  public Sql blockedFragment(String key, OffsetDateTime now) {
    return fragment(BLOCKED_UNTIL, key, now);
  }

  /**
   * Forgets the key's failures and blocks in each named scope; {@code condition} adds {@code AND …}
   * (e.g. "only if the code was accepted"), or is empty.
   */
  public static Sql resetFragment(String key, List<String> scopes, String condition) {
    return Sql.of(String.format(RESET, condition)).bind("key", key).bind("reset_scopes", scopes.toArray(String[]::new));
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
    return resetFragment(key, List.of(policy.scope()), "").execute(pool).mapEmpty();
  }

  /** Seconds the key stays blocked, 0 when it is not; changes nothing. */
  public Future<Long> blockedFor(String key) {
    OffsetDateTime now = now();
    return blockedFragment(key, now).execute(pool)
        .map(rows -> rows.size() == 0 ? 0L : secondsUntil(now, rows.iterator().next().getOffsetDateTime(0)));
  }

  /** Deletes a batch of budgets that mean nothing any more (safe on every node at once); answers how many. */
  public static Future<Integer> pruneExpired(Pool pool, Instant now) {
    return pool.preparedQuery(PRUNE).execute(Tuple.of(OffsetDateTime.ofInstant(now, ZoneOffset.UTC)))
        .map(rows -> rows.rowCount());
  }

  public OffsetDateTime now() {
    return OffsetDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  private static long secondsUntil(OffsetDateTime now, OffsetDateTime until) {
    long millis = Duration.between(now, until).toMillis();
    return Math.max(1, (millis + 999) / 1000);
  }
}
