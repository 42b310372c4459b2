package dev.gatehouse.signin;

import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import dev.gatehouse.http.Problem;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The second sign-in step as the flow sees it: which methods a user has, and checking what they
 * sent. Implemented by the factor packages (TOTP, recovery codes); the flow keeps the pending
 * state, its expiry and its attempt count.
 */
public interface SecondFactor {

  /** The methods the user can give at the second step (e.g. "totp", "recovery_code"); empty when 2FA is off. */
  Future<List<String>> methods(UUID userId);

  /**
   * Checks the second-step body for the user. Succeeds with the method used and any fields for the
   * response (e.g. {@code recoveryCodesRemaining}); fails with a {@link dev.gatehouse.http.Problem}:
   * 400 for malformed input (not counted as a guess), 401 {@code invalid_code} for a wrong code
   * (counted), others as they are.
   */
  Future<Verified> verify(UUID userId, JsonBody body, ClientInfo client);

  /**
   * The 400 for a body whose code is malformed, judged by its form alone (no lookup, no write), so
   * that nothing is counted or stored for it; empty when the form is fine.
   */
  default Optional<Problem> malformed(JsonBody body) {
    return Optional.empty();
  }

  /** The body fields the second step accepts. */
  List<String> fields();

  record Verified(String method, JsonObject response) {
  }

  /** No second factor at all: nobody is ever pending. */
  SecondFactor NONE = new SecondFactor() {
    @Override
    public Future<List<String>> methods(UUID userId) {
      return Future.succeededFuture(List.of());
    }

    @Override
    public Future<Verified> verify(UUID userId, JsonBody body, ClientInfo client) {
      return Future.failedFuture(dev.gatehouse.http.Problem.unauthorized("invalid_code", "That code is not valid."));
    }

    @Override
    public List<String> fields() {
      return List.of("code", "recoveryCode");
    }
  };
}
