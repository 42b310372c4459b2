package dev.gatehouse.factor.recovery;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.factor.EnabledFactors;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.signin.SecondFactor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import dev.gatehouse.http.Problem;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** The second sign-in step with a recovery code instead of the app: {@code {"recoveryCode": "…"}}. */
public final class RecoveryCodeFactor implements SecondFactor {

  public static final String METHOD = "recovery_code";
  public static final String USED = "recovery_code.used";
  static final int MAX_INPUT = 64;

  private final Pool pool;
  private final RecoveryCodes codes;
  private final SecurityEvents events;
  private final EnabledFactors enabled;

  public RecoveryCodeFactor(Pool pool, RecoveryCodes codes, SecurityEvents events, EnabledFactors enabled) {
    this.pool = pool;
    this.codes = codes;
    this.events = events;
    this.enabled = enabled;
  }

  /** Offered whenever 2FA is on: with no codes left the answer is simply "not valid". */
  @Override
  public Future<List<String>> methods(UUID userId) {
    return enabled.any(pool, userId).map(on -> on ? List.of(METHOD) : List.of());
  }

  @Override
  public Future<Verified> verify(UUID userId, JsonBody body, ClientInfo client) {
    String code = codeField(body);
    if (code == null) {
      return Future.failedFuture(RecoveryCodes.malformed());
    }
    return codes.spend(pool, userId, code)
        .compose(remaining -> events.record(userId, USED, client, new JsonObject().put("remaining", remaining))
            .map(v -> new Verified(METHOD, new JsonObject().put("recoveryCodesRemaining", remaining))));
  }

  @Override
  public Optional<Problem> malformed(JsonBody body) {
    String code = codeField(body);
    return code == null || RecoveryCode.parse(code).isEmpty() ? Optional.of(RecoveryCodes.malformed())
        : Optional.empty();
  }

  @Override
  public List<String> fields() {
    return List.of("recoveryCode");
  }

  /** The "recoveryCode" member as a string, or null for other JSON types and oversized strings (a 400). */
  public static String codeField(JsonBody body) {
    Object raw = body.json().getValue("recoveryCode");
    return raw instanceof String s && s.length() <= MAX_INPUT ? s : null;
  }
}
