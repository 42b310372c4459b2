package dev.gatehouse.signin;

import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Several second factors offered together (an authenticator app and its recovery codes, later perhaps
 * WebAuthn): the user's methods are all of theirs, and a body is checked by the one factor whose field
 * it carries. Exactly one factor's field must be present.
 */
public final class SecondFactors implements SecondFactor {

  private final List<SecondFactor> factors;
  private final List<String> fields;

  public SecondFactors(List<SecondFactor> factors) {
    this.factors = List.copyOf(factors);
    List<String> all = new ArrayList<>();
    factors.forEach(f -> all.addAll(f.fields()));
    this.fields = List.copyOf(all);
  }

  @Override
  public Future<List<String>> methods(UUID userId) {
    List<Future<List<String>>> each = factors.stream().map(f -> f.methods(userId)).toList();
    return Future.all(each).map(done -> {
      List<String> methods = new ArrayList<>();
      each.forEach(f -> methods.addAll(f.result()));
      return methods;
    });
  }

  @Override
  public Future<Verified> verify(UUID userId, JsonBody body, ClientInfo client) {
    List<SecondFactor> named = factors.stream().filter(f -> f.fields().stream().anyMatch(body::has)).toList();
    if (named.size() != 1) {
      return Future.failedFuture(Problem.badRequest("invalid_field",
          "Send exactly one of: " + String.join(", ", fields) + ".").with("allowed", fields));
    }
    return named.get(0).verify(userId, body, client);
  }

  @Override
  public Optional<Problem> malformed(JsonBody body) {
    List<SecondFactor> named = factors.stream().filter(f -> f.fields().stream().anyMatch(body::has)).toList();
    return named.size() != 1 ? Optional.of(Problem.badRequest("invalid_field",
        "Send exactly one of: " + String.join(", ", fields) + ".").with("allowed", fields))
        : named.get(0).malformed(body);
  }

  @Override
  public List<String> fields() {
    return fields;
  }
}
