package dev.gatehouse.factor;

import dev.gatehouse.db.Sql;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;

import java.util.UUID;

/**
 * A second factor (docs/design.md, "How a factor plugs in"). Each lives in a package of its own
 * with the same three parts: the factor (this interface), its store (every statement of its
 * tables) and its settings routes. The {@link FactorAttempts attempt service} checks a proof in
 * two statements: one charges the budget and runs {@link #read}, then {@link #check} decides in
 * memory, and one settles what the check returned (spend, reset or count, security events).
 *
 * @param <P> a parsed proof (a code, a recovery code, an assertion)
 */
public interface Factor<P> {

  /** The method's name in the API, the security log and the metrics: "totp", "recovery_code", "passkey". */
  String method();

  /** The member of a second-step or sudo body that carries this factor's proof. */
  String field();

  /**
   * Reads a proof from that member's JSON value; throws a 400 {@link dev.gatehouse.http.Problem}
   * when it is malformed, judged by its form alone, so nothing is charged or written for it.
   */
  P parse(Object value);

  /** True for a factor that only backs the others up (recovery codes): it does not turn 2FA on by itself. */
  default boolean backup() {
    return false;
  }

  /** The scope of the attempt budget a wrong proof draws on. */
  default String budget() {
    return "second_step";
  }

  /** True when wrong proofs in a row lock this factor until a recovery code is used (docs/security.md 8). */
  default boolean locksAfterWrongInARow() {
    return false;
  }

  /** A SQL boolean expression over {@code :user}: whether the user has this factor. */
  Sql enrolled(UUID user);

  /**
   * What {@link #check} needs, read in the statement that charges the budget: a SELECT of at
   * most one row whose columns are named after the factor, or null when it needs nothing.
   */
  Sql read(UUID user, P proof);

  /**
   * Judges the proof from what {@link #read} found ({@code found} is null when no row or no read):
   * no statement of its own; what must change is in the {@link Check}'s settle parts.
   */
  Future<Check> check(UUID user, P proof, Row found);

  /** Forgets the user's credentials of this factor (2FA turned off), in the caller's transaction. */
  Future<Void> removeAll(SqlClient tx, UUID user);

  /** Adds this factor's members to the {@code twoFactor} part of the profile ({@code GET /api/me}). */
  default Future<Void> describe(SqlClient db, UUID user, JsonObject twoFactor) {
    return Future.succeededFuture();
  }
}
