package dev.gatehouse.factor.totp;

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

/** The second sign-in step with a code from the authenticator app: {@code {"code": "123456"}}. */
public final class TotpFactor implements SecondFactor {

  public static final String METHOD = "totp";
  /** Longer strings are refused as malformed before anything else looks at them. */
  static final int MAX_CODE_INPUT = 64;

  private final Pool pool;
  private final TotpCredentials credentials;

  public TotpFactor(Pool pool, TotpCredentials credentials) {
    this.pool = pool;
    this.credentials = credentials;
  }

  @Override
  public Future<List<String>> methods(UUID userId) {
    return credentials.status(pool, userId).map(status -> status.isPresent() ? List.of(METHOD) : List.of());
  }

  @Override
  public Future<Verified> verify(UUID userId, JsonBody body, ClientInfo client) {
    String code = codeField(body);
    if (code == null) {
      return Future.failedFuture(TotpCredentials.malformed());
    }
    return credentials.use(pool, userId, code).map(step -> new Verified(METHOD, new JsonObject()));
  }

  @Override
  public Optional<Problem> malformed(JsonBody body) {
    String code = codeField(body);
    return code == null || SubmittedCode.normalise(code).isEmpty() ? Optional.of(TotpCredentials.malformed())
        : Optional.empty();
  }

  @Override
  public List<String> fields() {
    return List.of("code");
  }

  /** The "code" member as a string, or null for other JSON types and oversized strings (a 400, never a guess). */
  public static String codeField(JsonBody body) {
    Object raw = body.json().getValue("code");
    return raw instanceof String s && s.length() <= MAX_CODE_INPUT ? s : null;
  }
}
