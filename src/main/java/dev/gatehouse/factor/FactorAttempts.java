package dev.gatehouse.factor;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.db.Sql;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.Problem;
import dev.gatehouse.throttle.AttemptBudget;
import dev.gatehouse.throttle.Lockouts;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;

import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The one place a second-factor proof is checked, for every caller (the second sign-in step,
 * sudo): charge, check, settle, in the caller's future chain (docs/security.md 7, 8, 26).
 *
 * <ol>
 *   <li>One statement charges the factor's budget (unless the factor is locked) and reads what the
 *       check needs: a burst of parallel guesses gets exactly the budget's number of checks.
 *   <li>The factor judges the proof in memory.
 *   <li>One statement settles: the proof spent by a conditional UPDATE (a replay finds nothing),
 *       and then either every code budget reset (the owner proved themselves) or the wrong guess
 *       kept (the budget locked when this was its last attempt, the wrong-in-a-row count raised),
 *       and the security events, all or nothing; with them, what the caller writes on success (the
 *       sign-in itself, see {@link Alongside}).
 * </ol>
 */
public final class FactorAttempts {

  /** Why a proof is given, which names its security events. */
  public enum Purpose {
    SIGN_IN("signin.succeeded", "signin.second_step_failed"),
    SUDO("sudo.granted", "sudo.second_step_failed");

    final String success;
    final String failure;

    Purpose(String success, String failure) {
      this.success = success;
      this.failure = failure;
    }
  }

  /**
   * A write that belongs to an accepted proof and is made in the statement that settles it (the
   * sign-in the second step completes): {@code write} gets the condition {@code " AND …"} that holds
   * only when the proof was accepted and returns the rows it wrote; when it wrote none (its target
   * changed meanwhile), the attempt fails with {@code nothingWritten}.
   */
  public record Alongside(Function<String, Sql> write, Supplier<Problem> nothingWritten) {
  }

  private final Pool pool;
  private final Map<String, AttemptBudget> budgets = new LinkedHashMap<>();
  private final AttemptBudget inARow;
  private final List<String> everyCodeBudget;

  /** {@code budgets}: the budgets factors draw on, by scope; {@code inARow}: the lock after wrong proofs in a row. */
  public FactorAttempts(Pool pool, List<AttemptBudget> budgets, AttemptBudget inARow) {
    this.pool = pool;
    budgets.forEach(b -> this.budgets.put(b.policy().scope(), b));
    this.inARow = inARow;
    List<String> scopes = new ArrayList<>(this.budgets.keySet());
    scopes.add(inARow.policy().scope());
    this.everyCodeBudget = List.copyOf(scopes);
  }

  /**
   * Checks the proof for the user. Succeeds with the members the answer carries (e.g.
   * {@code recoveryCodesRemaining}); fails with a {@link Problem}: 401 {@code invalid_code} for a
   * wrong proof, 429 when the budget is used up, 403 {@code totp_locked} for a locked factor.
   */
  public <P> Future<JsonObject> attempt(UUID user, Proof<P> proof, Purpose purpose, ClientInfo client) {
    return attempt(user, proof, purpose, client, null);
  }

  /** {@link #attempt(UUID, Proof, Purpose, ClientInfo)} with a write made when, and only when, the proof is accepted. */
  public <P> Future<JsonObject> attempt(UUID user, Proof<P> proof, Purpose purpose, ClientInfo client,
                                        Alongside alongside) {
    Factor<P> factor = proof.factor();
    AttemptBudget budget = budgets.get(factor.budget());
    String key = user.toString();
    OffsetDateTime now = budget.now();
    return chargeAndRead(user, proof, budget, key, now).execute(pool).compose(rows -> {
      Row found = rows.iterator().next();
      if (found.getOffsetDateTime("locked_until") != null) {
        return Future.failedFuture(Lockouts.totpLocked());
      }
      AttemptBudget.Charge charge = budget.chargeFrom(found, key, now);
      if (!charge.allowed()) {
        return Future.failedFuture(Lockouts.tooManyAttempts(charge.retryAfterSeconds()));
      }
      return factor.check(user, proof.value(), found)
          // A fault while judging (a secret that no longer opens) is no guess: the charge is given back.
          .recover(err -> budget.refund(charge).transform(v -> Future.failedFuture(err)))
          .compose(check -> settle(user, factor, check, purpose, client, budget, charge, now, alongside));
    });
  }

  private <P> Sql chargeAndRead(UUID user, Proof<P> proof, AttemptBudget budget, String key, OffsetDateTime now) {
    Factor<P> factor = proof.factor();
    Sql locked = factor.locksAfterWrongInARow() ? inARow.blockedFragment(key, now)
        : Sql.of("SELECT NULL::timestamptz AS blocked_until WHERE false");
    Sql read = factor.read(user, proof.value());
    String select = """
        SELECT (SELECT blocked_until FROM locked) AS locked_until,
               c.failures, c.window_start, c.blocked_until, c.lockouts%s
        FROM (SELECT 1) AS one LEFT JOIN charge AS c ON true""";
    Sql main = read == null ? Sql.of(String.format(select, ""))
        : read.wrap(String.format(select, ", r.*") + " LEFT JOIN (%s) AS r ON true");
    return Sql.join("", List.of(
        locked.wrap("WITH locked AS (%s),\n"),
        budget.chargeFragment(key, now, "WHERE NOT EXISTS (SELECT 1 FROM locked)").wrap("charge AS (%s)\n"),
        main));
  }

  private Future<JsonObject> settle(UUID user, Factor<?> factor, Check check, Purpose purpose, ClientInfo client,
                                    AttemptBudget budget, AttemptBudget.Charge charge, OffsetDateTime now,
                                    Alongside alongside) {
    String key = user.toString();
    boolean last = charge.last();
    boolean counted = factor.locksAfterWrongInARow();
    List<Sql> ctes = new ArrayList<>(check.before());
    ctes.add(check.proof().wrap("proof AS (%s)"));
    ctes.add(Sql.of("ok AS (SELECT EXISTS (SELECT 1 FROM proof WHERE accepted) AS accepted)"));
    ctes.add(AttemptBudget.resetFragment(key, everyCodeBudget, " AND (SELECT accepted FROM ok)")
        .wrap("reset AS (%s)"));
    if (last) {
      ctes.add(budget.lockFragment(charge, now, " AND NOT (SELECT accepted FROM ok)").wrap("locked AS (%s)"));
    }
    if (counted) {
      ctes.add(inARow.countInARowFragment(key, now, "WHERE NOT (SELECT accepted FROM ok)").wrap("in_a_row AS (%s)"));
    }
    if (alongside != null) {
      ctes.add(alongside.write().apply(" AND (SELECT accepted FROM ok)").wrap("alongside AS (%s)"));
    }
    List<Sql> events = new ArrayList<>(check.events());
    // An accepted proof whose alongside write found nothing to write (the sign-in ended meanwhile)
    // succeeded at nothing: no success event for it.
    events.add(Sql.of("""
        SELECT 10 AS ord, (CASE WHEN accepted THEN :success ELSE :failure END)::text AS type,
               jsonb_build_object('method', :method::text) AS details FROM ok"""
        + (alongside == null ? "" : " WHERE NOT accepted OR EXISTS (SELECT 1 FROM alongside)"))
        .bind("success", purpose.success).bind("failure", purpose.failure).bind("method", factor.method()));
    if (last) {
      events.add(Sql.of("""
          SELECT 11, :locked_type::text, jsonb_build_object('method', :method::text, 'budget', :budget::text,
                 'retryAfter', ceil(extract(epoch FROM l.blocked_until - :now::timestamptz))::bigint) FROM locked AS l""")
          .bind("locked_type", Lockouts.LOCKED).bind("method", factor.method()).bind("budget", budget.policy().scope())
          .bind("now", now));
    }
    if (counted) {
      events.add(Sql.of("""
          SELECT 12, :row_locked_type::text, jsonb_build_object('consecutiveFailures', r.failures)
          FROM in_a_row AS r WHERE r.failures = :lock_after::int""")
          .bind("row_locked_type", Lockouts.TOTP_LOCKED).bind("lock_after", inARow.policy().limit()));
    }
    ctes.add(SecurityEvents.insertFragment(user, client, Sql.join("\nUNION ALL\n", events)).wrap("events AS (%s)"));
    Sql columns = check.columns();
    Sql select = columns.wrap(String.format(
        "\nSELECT (SELECT accepted FROM ok) AS accepted, %s AS blocked_until, %s AS locked_now, %s AS alongside%s",
        last ? "(SELECT blocked_until FROM locked)" : "NULL::timestamptz",
        counted ? "EXISTS (SELECT 1 FROM in_a_row WHERE failures = " + inARow.policy().limit() + ")" : "false",
        alongside != null ? "(SELECT count(*) FROM alongside)" : "0::bigint",
        columns.text().isEmpty() ? "%s" : ", %s"));
    return Sql.join("", List.of(Sql.join(",\n", ctes).wrap("WITH %s"), select))
        .execute(pool)
        .compose(rows -> {
          Row row = rows.iterator().next();
          if (row.getBoolean("accepted")) {
            if (alongside != null && row.getLong("alongside") == 0) {
              return Future.failedFuture(alongside.nothingWritten().get());
            }
            return Future.succeededFuture(check.accepted(row));
          }
          // Blocks placed by this statement, for the metrics (a burst counts each block once).
          if (row.getOffsetDateTime("blocked_until") != null) {
            budget.blocked();
          }
          if (row.getBoolean("locked_now")) {
            inARow.blocked();
          }
          if (last) {
            return Future.failedFuture(Lockouts.tooManyAttempts(
                budget.retryAfter(charge, now, row.getOffsetDateTime("blocked_until"))));
          }
          return Future.failedFuture(check.refused(row));
        });
  }
}
