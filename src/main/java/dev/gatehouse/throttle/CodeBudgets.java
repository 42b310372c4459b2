package dev.gatehouse.throttle;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.Problem;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.UUID;

/**
 * The budgets for second-factor codes, per account, whichever session or node the guesses come from
 * (docs/security.md 7-8):
 * <ul>
 *   <li>authenticator codes: the 10th wrong one in 15 minutes answers 429, and while blocked even
 *       the right code does; 100 wrong in a row lock the TOTP factor until a recovery code is used;
 *   <li>recovery codes: a budget of their own, so that someone who burns the TOTP budget cannot
 *       keep the owner from the way back.
 * </ul>
 * Each attempt is charged before it is checked. Any success proves the owner and resets all three;
 * a successful password step resets none of them (it is the attacker's starting point).
 */
public final class CodeBudgets {

  private static final Logger LOG = LoggerFactory.getLogger(CodeBudgets.class);
  public static final String TOTP = "totp";
  public static final String RECOVERY_CODE = "recovery_code";
  /** The flow's event for a wrong code; recorded here for the wrong code that is answered with a 429. */
  static final String SECOND_STEP_FAILED = "signin.second_step_failed";

  private final AttemptBudget totpCodes;
  private final AttemptBudget recoveryCodes;
  private final AttemptBudget totpLock;
  private final SecurityEvents events;

  /** One charged attempt with a code. */
  public record Attempt(UUID user, String method, AttemptBudget.Charge charge) {
  }

  public CodeBudgets(Budgets budgets, SecurityEvents events) {
    this.totpCodes = budgets.secondStep();
    this.recoveryCodes = budgets.recoveryCode();
    this.totpLock = budgets.totpLock();
    this.events = events;
  }

  /** True when 100 wrong authenticator codes in a row have locked the user's TOTP factor. */
  public Future<Boolean> totpLocked(UUID user) {
    return totpLock.blockedFor(user.toString()).map(seconds -> seconds > 0);
  }

  /**
   * Charges an attempt with a code of {@code method}; fails with 403 {@code totp_locked} or 429
   * {@code too_many_attempts} instead of letting it be checked.
   */
  public Future<Attempt> begin(UUID user, String method) {
    AttemptBudget budget = budget(method);
    Future<Boolean> locked = TOTP.equals(method) ? totpLocked(user) : Future.succeededFuture(false);
    return locked.compose(isLocked -> isLocked ? Future.failedFuture(Lockouts.totpLocked())
        : budget.charge(user.toString()).compose(charge -> charge.allowed()
            ? Future.succeededFuture(new Attempt(user, method, charge))
            : Future.failedFuture(Lockouts.tooManyAttempts(charge.retryAfterSeconds()))));
  }

  /** The code was right: whoever has it is the owner, so every code budget starts afresh. */
  public Future<Void> right(Attempt attempt) {
    String key = attempt.user().toString();
    // The code is spent already: a failure to reset must not turn the success into an error.
    return Future.all(totpCodes.reset(key), recoveryCodes.reset(key), totpLock.reset(key)).<Void>mapEmpty()
        .recover(err -> {
          LOG.warn("Could not reset the code budgets after a success: {}", err.toString());
          return Future.succeededFuture();
        });
  }

  /**
   * The code was wrong: the charge stands, a wrong authenticator code also counts towards the TOTP
   * lock, and when this used the budget up the result is the 429 to answer instead.
   */
  public Future<Optional<Problem>> wrong(Attempt attempt, ClientInfo client) {
    Future<Void> consecutive = TOTP.equals(attempt.method()) ? countWrongTotp(attempt.user(), client)
        : Future.succeededFuture();
    return consecutive.compose(v -> {
      if (!attempt.charge().last()) {
        return Future.succeededFuture(Optional.empty());
      }
      AttemptBudget budget = budget(attempt.method());
      return budget.lock(attempt.charge()).map(retry -> {
        events.record(attempt.user(), Lockouts.LOCKED, client, new JsonObject().put("method", attempt.method())
            .put("budget", budget.policy().scope()).put("retryAfter", retry));
        return Optional.of(Lockouts.tooManyAttempts(retry));
      });
    });
  }

  /** Not a guess after all (malformed input, a fault): the attempt is given back. */
  public Future<Void> notAGuess(Attempt attempt) {
    return budget(attempt.method()).refund(attempt.charge()).recover(err -> Future.succeededFuture());
  }

  /** One more wrong authenticator code in a row; the limit-th locks the factor until a recovery code is used. */
  private Future<Void> countWrongTotp(UUID user, ClientInfo client) {
    return totpLock.charge(user.toString()).compose(charge -> {
      if (!charge.allowed() || !charge.last()) {
        return Future.succeededFuture();
      }
      return totpLock.lock(charge).map(retry -> {
        LOG.warn("TOTP locked for an account after {} wrong codes in a row", totpLock.policy().limit());
        events.record(user, Lockouts.TOTP_LOCKED, client,
            new JsonObject().put("consecutiveFailures", totpLock.policy().limit()));
        return null;
      });
    });
  }

  private AttemptBudget budget(String method) {
    return RECOVERY_CODE.equals(method) ? recoveryCodes : totpCodes;
  }
}
