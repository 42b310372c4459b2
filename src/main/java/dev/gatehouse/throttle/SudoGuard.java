package dev.gatehouse.throttle;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.Problem;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * "Confirm your password" for someone already signed in: a budget per user, so that a stolen
 * session cookie cannot be used to guess the password (and with it, sudo) without limit.
 */
public final class SudoGuard {

  private final AttemptBudget budget;
  private final SecurityEvents events;

  public SudoGuard(AttemptBudget budget, SecurityEvents events) {
    this.budget = budget;
    this.events = events;
  }

  /** Charges the attempt; 429 when the user's budget is used up. */
  public Future<AttemptBudget.Charge> begin(UUID user) {
    return budget.charge(user.toString()).compose(charge -> charge.allowed() ? Future.succeededFuture(charge)
        : Future.failedFuture(Lockouts.tooManyAttempts(charge.retryAfterSeconds())));
  }

  /** The password was never checked (the hashing queue was full, say): the attempt is given back. */
  public Future<Void> abandon(AttemptBudget.Charge charge) {
    return budget.refund(charge).recover(err -> Future.succeededFuture());
  }

  /** Succeeds for the right password (the budget is reset); else fails with 401, or 429 when this used it up. */
  public Future<Void> settle(AttemptBudget.Charge charge, boolean right, ClientInfo client) {
    if (right) {
      return budget.reset(charge.key());
    }
    Problem wrong = Problem.unauthorized("invalid_password", "That password is not right.");
    if (!charge.last()) {
      return Future.failedFuture(wrong);
    }
    return budget.lock(charge).compose(retry -> events.recordBestEffort(UUID.fromString(charge.key()), Lockouts.LOCKED, client,
            new JsonObject().put("budget", "sudo").put("retryAfter", retry))
        .compose(v -> Future.failedFuture(Lockouts.tooManyAttempts(retry))));
  }
}
