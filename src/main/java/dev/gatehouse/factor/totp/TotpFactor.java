package dev.gatehouse.factor.totp;

import dev.gatehouse.db.Sql;
import dev.gatehouse.factor.Check;
import dev.gatehouse.factor.Factor;
import dev.gatehouse.http.Problem;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.util.UUID;

/**
 * A code from an authenticator app ({@code {"code": "123456"}}), checked with one step of drift
 * either way (docs/security.md 1), used once (2), and locked after 100 wrong in a row (8). A code
 * of a step further off is still refused and counted, but the answer tells how far the device's
 * clock is off; a future one is spent in the statement that refuses it (27).
 */
public final class TotpFactor implements Factor<String> {

  public static final String METHOD = "totp";
  public static final String FIELD = "code";
  /** Longer strings are refused as malformed before anything else looks at them. */
  static final int MAX_CODE_INPUT = 64;

  private final TotpStore store;
  private final TotpVerifier verifier;

  public TotpFactor(TotpStore store, Clock clock) {
    this.store = store;
    this.verifier = new TotpVerifier(clock);
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
  public String parse(Object value) {
    if (value instanceof String s && s.length() <= MAX_CODE_INPUT && SubmittedCode.normalise(s).isPresent()) {
      return s;
    }
    throw malformed();
  }

  @Override
  public boolean locksAfterWrongInARow() {
    return true;
  }

  @Override
  public Sql enrolled(UUID user) {
    return store.enrolled(user);
  }

  @Override
  public Sql read(UUID user, String code) {
    return store.read(user);
  }

  @Override
  public Future<Check> check(UUID user, String code, Row found) {
    String sealed = found.getString("totp_secret");
    if (sealed == null) {
      return Future.succeededFuture(Check.refusedWith(invalidCode()));
    }
    TotpCheck check = verifier.verify(store.open(sealed, user).bytes(), code);
    if (check.accepted()) {
      return Future.succeededFuture(Check.of(store.spend(user, check.step(), true), alreadyUsed()));
    }
    if (check.skewed()) {
      long skew = verifier.skewSeconds(check.step());
      Problem refusal = invalidCode().with("clockSkewSeconds", skew);
      // A future code would work later: spend its step now, so telling about it gives nothing away.
      return Future.succeededFuture(skew > 0 ? Check.of(store.spend(user, check.step(), false), refusal)
          : Check.refusedWith(refusal));
    }
    return Future.succeededFuture(Check.refusedWith(invalidCode()));
  }

  @Override
  public Future<Void> removeAll(SqlClient tx, UUID user) {
    return store.delete(tx, user);
  }

  @Override
  public Future<Void> describe(SqlClient db, UUID user, JsonObject twoFactor) {
    return store.status(db, user).map(status -> {
      status.ifPresent(s -> twoFactor.put("enabledAt", s.enabledAt().toString())
          .put("reconfiguredAt", s.replacedAt().map(Object::toString).orElse(null)));
      return null;
    });
  }

  public static Problem malformed() {
    return Problem.badRequest("malformed_code", "Enter the 6-digit code from your authenticator app.")
        .with("field", FIELD);
  }

  static Problem invalidCode() {
    return Problem.unauthorized("invalid_code", "That code is not valid. Check your authenticator app and try again.");
  }

  /** Still {@code invalid_code}, so it counts as a failed attempt; the reason lets the page explain. */
  static Problem alreadyUsed() {
    return Problem.unauthorized("invalid_code", "That code was already used. Wait for the next code in your app.")
        .with("reason", "already_used");
  }
}
