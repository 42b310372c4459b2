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
 * The password step's budgets (SECURITY.md 9): one per account, keyed by the normalised email so
 * that unknown emails are counted and answered exactly like known ones, and one per client address.
 * Charged before the password is hashed, so a blocked attacker costs no hash.
 */
public final class PasswordGuard {

  private static final Logger LOG = LoggerFactory.getLogger(PasswordGuard.class);

  private final AttemptBudget account;
  private final AttemptBudget address;
  private final SecurityEvents events;

  /** The charges of one password attempt. */
  public record Attempt(Optional<AttemptBudget.Charge> account, AttemptBudget.Charge address) {
  }

  public PasswordGuard(AttemptBudget account, AttemptBudget address, SecurityEvents events) {
    this.account = account;
    this.address = address;
    this.events = events;
  }

  /**
   * Charges the attempt; fails with 429 when either budget is used up. {@code email} is empty for
   * input that is no email address at all (no account can match it: only the address counts).
   */
  public Future<Attempt> begin(Optional<String> email, ClientInfo client) {
    Future<Optional<AttemptBudget.Charge>> byAccount = email.isEmpty() ? Future.succeededFuture(Optional.empty())
        : account.charge(email.get()).map(Optional::of);
    Future<AttemptBudget.Charge> byAddress = address.charge(ClientAddress.budgetKey(client.ip()));
    return Future.all(byAccount, byAddress).compose(done -> {
      Attempt attempt = new Attempt(byAccount.result(), byAddress.result());
      long retry = Math.max(attempt.address().allowed() ? 0 : attempt.address().retryAfterSeconds(),
          attempt.account().filter(c -> !c.allowed()).map(AttemptBudget.Charge::retryAfterSeconds).orElse(0L));
      if (retry == 0) {
        return Future.succeededFuture(attempt);
      }
      // Not checked, so not charged: give back whichever budget still had room.
      Future<Void> giveBack = Future.all(address.refund(attempt.address()),
          attempt.account().map(account::refund).orElse(Future.succeededFuture())).mapEmpty();
      return giveBack.transform(ignored -> Future.failedFuture(tooMany(retry)));
    });
  }

  /**
   * After a wrong password (or an unknown email): the charges stand. When this attempt used a budget
   * up, the key is blocked and the result is a 429 to answer instead of 401.
   */
  public Future<Optional<Problem>> failed(Attempt attempt, Optional<UUID> user, ClientInfo client) {
    Future<Long> byAccount = attempt.account().filter(AttemptBudget.Charge::last).map(account::lock)
        .orElse(Future.succeededFuture(0L));
    Future<Long> byAddress = attempt.address().last() ? address.lock(attempt.address()) : Future.succeededFuture(0L);
    return Future.all(byAccount, byAddress).map(done -> {
      long retry = Math.max(byAccount.result(), byAddress.result());
      if (byAddress.result() > 0) {
        LOG.warn("Password attempts from {} blocked for {} s", attempt.address().key(), byAddress.result());
      }
      if (byAccount.result() > 0 && user.isPresent()) {
        events.record(user.get(), Lockouts.LOCKED, client,
            new JsonObject().put("budget", "password").put("retryAfter", byAccount.result()));
      }
      return retry == 0 ? Optional.empty() : Optional.of(tooMany(retry));
    });
  }

  /**
   * After the right password: the account's failures are forgotten (whoever knows the password needs
   * no guesses), but the address only gets this attempt back, so signing in to one's own account
   * between guesses at others does not refill it.
   */
  public Future<Void> succeeded(Attempt attempt) {
    Future<Void> byAccount = attempt.account().map(c -> account.reset(c.key())).orElse(Future.succeededFuture());
    return Future.all(byAccount, address.refund(attempt.address())).<Void>mapEmpty()
        .recover(err -> {
          LOG.warn("Could not settle a password attempt budget: {}", err.toString());
          return Future.succeededFuture();
        });
  }

  /** The password was never checked (the hashing queue was full, say): both charges are given back. */
  public Future<Void> abandon(Attempt attempt) {
    return Future.all(address.refund(attempt.address()),
            attempt.account().map(account::refund).orElse(Future.succeededFuture())).<Void>mapEmpty()
        .recover(err -> Future.succeededFuture());
  }

  static Problem tooMany(long retryAfterSeconds) {
    return Lockouts.tooManyAttempts(retryAfterSeconds);
  }
}
