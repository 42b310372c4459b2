package dev.gatehouse.throttle;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.signin.SecondFactor;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The second step's budgets around the factors (SECURITY.md 7-8), per account, whichever session
 * or node the guesses come from:
 * <ul>
 *   <li>authenticator codes: the 10th wrong one in 15 minutes answers 429, and while blocked even
 *       the right code does; 100 wrong in a row lock the TOTP factor until a recovery code is used;
 *   <li>recovery codes: a budget of their own, so that someone who burns the TOTP budget cannot
 *       keep the owner from the way back.
 * </ul>
 * Each attempt is charged before it is checked. Any success proves the owner and resets all three;
 * a successful password step resets none of them (it is the attacker's starting point).
 */
public final class GuardedSecondFactor implements SecondFactor {

  private static final Logger LOG = LoggerFactory.getLogger(GuardedSecondFactor.class);
  private static final String TOTP = "totp";
  /** The flow's event for a wrong code; recorded here for the wrong code that the flow sees as a 429. */
  private static final String SECOND_STEP_FAILED = "signin.second_step_failed";

  private final SecondFactor factors;
  private final AttemptBudget secondStep;
  private final AttemptBudget recoveryCodes;
  private final AttemptBudget totpLock;
  private final SecurityEvents events;

  public GuardedSecondFactor(SecondFactor factors, Budgets budgets, SecurityEvents events) {
    this.factors = factors;
    this.secondStep = budgets.secondStep();
    this.recoveryCodes = budgets.recoveryCode();
    this.totpLock = budgets.totpLock();
    this.events = events;
  }

  /** A locked TOTP factor is not offered: the sign-in page then asks for a recovery code. */
  @Override
  public Future<List<String>> methods(UUID userId) {
    return factors.methods(userId).compose(methods -> !methods.contains(TOTP) ? Future.succeededFuture(methods)
        : totpLock.blockedFor(userId.toString()).map(blocked -> {
          if (blocked == 0) {
            return methods;
          }
          List<String> open = new ArrayList<>(methods);
          open.remove(TOTP);
          return open;
        }));
  }

  @Override
  public Future<Verified> verify(UUID userId, JsonBody body, ClientInfo client) {
    String key = userId.toString();
    if (body.has("recoveryCode")) {
      return guarded(recoveryCodes, "recovery_code", userId, body, client);
    }
    if (!body.has("code")) {
      return factors.verify(userId, body, client);
    }
    return totpLock.blockedFor(key).compose(locked -> locked > 0 ? Future.failedFuture(Lockouts.totpLocked())
        : guarded(secondStep, TOTP, userId, body, client));
  }

  private Future<Verified> guarded(AttemptBudget budget, String method, UUID userId, JsonBody body, ClientInfo client) {
    String key = userId.toString();
    return budget.charge(key).compose(charge -> {
      if (!charge.allowed()) {
        return Future.failedFuture(Lockouts.tooManyAttempts(charge.retryAfterSeconds()));
      }
      return factors.verify(userId, body, client).transform(done -> {
        if (done.succeeded()) {
          return resetAll(key).map(done.result());
        }
        Throwable err = done.cause();
        if (!(err instanceof Problem p) || p.status() != 401) {
          // Malformed input or a fault: not a guess, so not charged.
          return budget.refund(charge).transform(v -> Future.failedFuture(err));
        }
        Future<Void> consecutive = TOTP.equals(method) ? countWrongTotp(userId, client) : Future.succeededFuture();
        return consecutive.compose(v -> {
          if (!charge.last()) {
            return Future.failedFuture(err);
          }
          return budget.lock(charge).compose(retry -> {
            JsonObject details = new JsonObject().put("method", method);
            events.record(userId, SECOND_STEP_FAILED, client, details);
            events.record(userId, Lockouts.LOCKED, client,
                details.copy().put("budget", budget.policy().scope()).put("retryAfter", retry));
            return Future.failedFuture(Lockouts.tooManyAttempts(retry));
          });
        });
      });
    });
  }

  /** One more wrong authenticator code in a row; the limit-th locks the factor until a recovery code is used. */
  private Future<Void> countWrongTotp(UUID userId, ClientInfo client) {
    return totpLock.charge(userId.toString()).compose(charge -> {
      if (!charge.allowed() || !charge.last()) {
        return Future.succeededFuture();
      }
      return totpLock.lock(charge).map(retry -> {
        events.record(userId, Lockouts.TOTP_LOCKED, client,
            new JsonObject().put("consecutiveFailures", totpLock.policy().limit()));
        return null;
      });
    });
  }

  /** After a success: the code is spent already, so a failure to reset must not turn it into an error. */
  private Future<Void> resetAll(String key) {
    return Future.all(secondStep.reset(key), recoveryCodes.reset(key), totpLock.reset(key)).<Void>mapEmpty()
        .recover(err -> {
          LOG.warn("Could not reset the second-step budgets after a success: {}", err.toString());
          return Future.succeededFuture();
        });
  }

  @Override
  public List<String> fields() {
    return factors.fields();
  }
}
