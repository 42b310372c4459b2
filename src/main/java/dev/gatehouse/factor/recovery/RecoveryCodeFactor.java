package dev.gatehouse.factor.recovery;

import dev.gatehouse.db.Sql;
import dev.gatehouse.factor.BackupCodes;
import dev.gatehouse.factor.Check;
import dev.gatehouse.factor.Factor;
import dev.gatehouse.http.Problem;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import java.util.List;
import java.util.UUID;

/**
 * A single-use recovery code instead of the app ({@code {"recoveryCode": "…"}}): the way back for
 * someone who lost their phone, with a budget of its own so that burning the app's budget cannot
 * keep the owner out (docs/security.md 7, 19). It backs the other factors up and never turns 2FA
 * on by itself; the first factor hands out a set ({@link BackupCodes}).
 */
public final class RecoveryCodeFactor implements Factor<RecoveryCode>, BackupCodes {

  public static final String METHOD = "recovery_code";
  public static final String FIELD = "recoveryCode";
  public static final String USED = "recovery_code.used";
  static final int MAX_INPUT = 64;

  private final RecoveryCodeStore store;

  public RecoveryCodeFactor(RecoveryCodeStore store) {
    this.store = store;
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public String field() {
    return FIELD;
  }

  @Override
  public RecoveryCode parse(Object value) {
    if (value instanceof String s && s.length() <= MAX_INPUT) {
      return RecoveryCode.parse(s).orElseThrow(RecoveryCodeFactor::malformed);
    }
    throw malformed();
  }

  @Override
  public boolean backup() {
    return true;
  }

  @Override
  public String budget() {
    return "recovery_code";
  }

  @Override
  public Sql enrolled(UUID user) {
    return store.enrolled(user);
  }

  /** Nothing to read first: the spend is the check. */
  @Override
  public Sql read(UUID user, RecoveryCode code) {
    return null;
  }

  @Override
  public Future<Check> check(UUID user, RecoveryCode code, Row found) {
    Sql spend = store.spend(user, code);
    Sql remaining = store.remainingAfterSpend(user);
    return Future.succeededFuture(new Check() {
      @Override
      public Sql proof() {
        return spend;
      }

      /** Before the sign-in itself in the log, telling how many codes are left. */
      @Override
      public List<Sql> events() {
        return List.of(remaining.wrap("""
            SELECT 1 AS ord, :used_type::text AS type, jsonb_build_object('remaining', %s) AS details
            FROM ok WHERE accepted""").bind("used_type", USED));
      }

      @Override
      public Sql columns() {
        return remaining.wrap("%s AS remaining");
      }

      @Override
      public JsonObject accepted(Row row) {
        return new JsonObject().put("recoveryCodesRemaining", row.getLong("remaining").intValue());
      }

      @Override
      public Problem refused(Row row) {
        return invalidCode();
      }
    });
  }

  @Override
  public Future<Void> removeAll(SqlClient tx, UUID user) {
    return store.delete(tx, user);
  }

  @Override
  public Future<List<String>> issue(SqlClient tx, UUID user) {
    return store.replaceSet(tx, user).map(codes -> codes.stream().map(RecoveryCode::display).toList());
  }

  @Override
  public Future<Void> describe(SqlClient db, UUID user, JsonObject twoFactor) {
    return store.remaining(db, user).map(remaining -> {
      // At 3 or fewer the settings page asks the user to make a new set.
      twoFactor.put("recoveryCodesRemaining", remaining).put("recoveryCodesLow", remaining <= RecoveryCodeStore.LOW);
      return null;
    });
  }

  public static Problem malformed() {
    return Problem.badRequest("malformed_recovery_code",
        "A recovery code has 16 letters and digits, like xxxx-xxxx-xxxx-xxxx.").with("field", FIELD);
  }

  static Problem invalidCode() {
    return Problem.unauthorized("invalid_code", "That recovery code is not valid or was already used.");
  }
}
