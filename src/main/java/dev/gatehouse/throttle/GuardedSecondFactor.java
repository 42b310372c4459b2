package dev.gatehouse.throttle;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.signin.SecondFactor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The second sign-in step's factors inside the code budgets ({@link CodeBudgets}): wired around
 * whatever factors there are, so the factor packages stay free of budget logic. The flow keeps its
 * own rule on top: 5 wrong codes in one pending state clear it.
 */
public final class GuardedSecondFactor implements SecondFactor {

  private final SecondFactor factors;
  private final CodeBudgets budgets;
  private final SecurityEvents events;

  public GuardedSecondFactor(SecondFactor factors, CodeBudgets budgets, SecurityEvents events) {
    this.factors = factors;
    this.budgets = budgets;
    this.events = events;
  }

  /** A locked TOTP factor is not offered: the sign-in page then asks for a recovery code. */
  @Override
  public Future<List<String>> methods(UUID userId) {
    return factors.methods(userId).compose(methods -> !methods.contains(CodeBudgets.TOTP)
        ? Future.succeededFuture(methods)
        : budgets.totpLocked(userId).map(locked -> {
          if (!locked) {
            return methods;
          }
          List<String> open = new ArrayList<>(methods);
          open.remove(CodeBudgets.TOTP);
          return open;
        }));
  }

  @Override
  public Future<Verified> verify(UUID userId, JsonBody body, ClientInfo client) {
    String method = body.has("recoveryCode") ? CodeBudgets.RECOVERY_CODE
        : body.has("code") ? CodeBudgets.TOTP : null;
    if (method == null) {
      return factors.verify(userId, body, client);
    }
    // A malformed code is no guess: refused before anything is counted or written.
    Optional<Problem> malformed = factors.malformed(body);
    if (malformed.isPresent()) {
      return Future.failedFuture(malformed.get());
    }
    return budgets.begin(userId, method).compose(attempt -> factors.verify(userId, body, client).transform(done -> {
      if (done.succeeded()) {
        return budgets.right(attempt).map(done.result());
      }
      Throwable err = done.cause();
      if (!(err instanceof Problem p) || p.status() != 401) {
        return budgets.notAGuess(attempt).transform(v -> Future.failedFuture(err));
      }
      return budgets.wrong(attempt, client).compose(blocked -> {
        if (blocked.isPresent()) {
          // The flow records only the wrong codes it sees as such; this one it sees as a 429.
          events.record(userId, CodeBudgets.SECOND_STEP_FAILED, client, new JsonObject().put("method", method));
          return Future.failedFuture(blocked.get());
        }
        return Future.failedFuture(err);
      });
    }));
  }

  @Override
  public List<String> fields() {
    return factors.fields();
  }
}
