package dev.gatehouse.throttle;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.Problem;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.UUID;

/**
 * The password step's budgets (docs/security.md 9), both checked before the password is hashed, so a
 * blocked attacker costs no hash:
 * <ul>
 *   <li>per account, keyed by the normalised email so that unknown emails are counted and answered
 *       exactly like known ones; charged before the check, so even a burst of parallel guesses gets
 *       exactly the budget's checks;
 *   <li>per client address, an extra budget against spraying many accounts: only failures count
 *       (after the check), so many people signing in at once behind one NAT never use it up;
 *   <li>per device, instead of the account's while that one is blocked: a browser with a valid
 *       device cookie for the account ({@link DeviceCookies}) is checked against its own budget, so
 *       strangers' guesses cannot lock the owner out (docs/security.md 39).
 * </ul>
 */
public final class PasswordGuard {

  private static final Logger LOG = LoggerFactory.getLogger(PasswordGuard.class);

  private final AttemptBudget account;
  private final AttemptBudget address;
  private final AttemptBudget device;
  private final DeviceCookies devices;
  private final SecurityEvents events;

  /**
   * One password attempt: the account's charge (none for input that is no email, or when the
   * attempt goes on the device's budget), the device's charge, and the address key.
   */
  public record Attempt(Optional<AttemptBudget.Charge> account, Optional<AttemptBudget.Charge> device, String address) {
  }

  public PasswordGuard(AttemptBudget account, AttemptBudget address, AttemptBudget device, DeviceCookies devices,
                       SecurityEvents events) {
    this.account = account;
    this.address = address;
    this.device = device;
    this.devices = devices;
    this.events = events;
  }

  /**
   * Charges the attempt to the account and checks the address; fails with 429 when either is used
   * up. {@code email} is empty for input that is no email address at all (no account can match it).
   */
  public Future<Attempt> begin(RoutingContext ctx, Optional<String> email, ClientInfo client) {
    String addressKey = ClientAddress.budgetKey(client.ip());
    Future<Optional<AttemptBudget.Charge>> byAccount = email.isEmpty() ? Future.succeededFuture(Optional.empty())
        : account.charge(email.get()).map(Optional::of);
    Future<Long> byAddress = address.blockedFor(addressKey);
    return Future.all(byAccount, byAddress)
        .compose(done -> onDevice(ctx, email, byAccount.result(), addressKey))
        .compose(attempt -> {
          long retry = Math.max(byAddress.result(), Math.max(
              attempt.account().filter(c -> !c.allowed()).map(AttemptBudget.Charge::retryAfterSeconds).orElse(0L),
              attempt.device().filter(c -> !c.allowed()).map(AttemptBudget.Charge::retryAfterSeconds).orElse(0L)));
          if (retry == 0) {
            return Future.succeededFuture(attempt);
          }
          // Not checked, so not charged: give the account its attempt back if it still had room.
          return abandon(attempt).transform(ignored -> Future.failedFuture(tooMany(retry)));
        });
  }

  /** While the account's budget refuses, a browser with a device cookie for it goes on its own budget instead. */
  private Future<Attempt> onDevice(RoutingContext ctx, Optional<String> email, Optional<AttemptBudget.Charge> charged,
                                   String addressKey) {
    boolean refused = charged.filter(c -> !c.allowed()).isPresent();
    Optional<String> deviceKey = refused ? devices.presented(ctx, email) : Optional.empty();
    if (deviceKey.isEmpty()) {
      return Future.succeededFuture(new Attempt(charged, Optional.empty(), addressKey));
    }
    return device.charge(deviceKey.get()).map(charge -> new Attempt(Optional.empty(), Optional.of(charge), addressKey));
  }

  /**
   * After a wrong password (or an unknown email): the account's charge stands and the address
   * counts a failure. When either budget is now used up, the key is blocked and the result is the
   * 429 to answer instead of 401.
   */
  public Future<Optional<Problem>> failed(Attempt attempt, Optional<UUID> user, ClientInfo client) {
    Future<Long> byAccount = attempt.account().filter(AttemptBudget.Charge::last).map(account::lock)
        .orElse(Future.succeededFuture(0L));
    Future<Long> byDevice = attempt.device().filter(AttemptBudget.Charge::last).map(device::lock)
        .orElse(Future.succeededFuture(0L));
    Future<Long> byAddress = address.fail(attempt.address());
    return Future.all(byAccount, byDevice, byAddress).compose(done -> {
      long retry = Math.max(Math.max(byAccount.result(), byDevice.result()), byAddress.result());
      if (byAddress.result() > 0) {
        LOG.warn("Password attempts from {} blocked for {} s", attempt.address(), byAddress.result());
      }
      // In the log before the answer goes out, so the log keeps the order of what happened.
      Future<Void> logged = byAccount.result() > 0 && user.isPresent()
          ? events.recordBestEffort(user.get(), Lockouts.LOCKED, client,
              new JsonObject().put("budget", "password").put("retryAfter", byAccount.result()))
          : Future.succeededFuture();
      return logged.map(v -> retry == 0 ? Optional.<Problem>empty() : Optional.of(tooMany(retry)));
    });
  }

  /**
   * After the right password: the account's failures are forgotten (whoever knows the password needs
   * no guesses). The address budget is left alone: it counts failures only, and signing in to one's
   * own account between guesses at others must not refill it.
   */
  public Future<Void> succeeded(Attempt attempt) {
    // Through the device's budget, the account's block stands: it is the strangers' to wait out.
    return attempt.account().map(c -> account.reset(c.key()))
        .or(() -> attempt.device().map(c -> device.reset(c.key())))
        .orElse(Future.succeededFuture())
        .recover(err -> {
          LOG.warn("Could not reset a password attempt budget: {}", err.toString());
          return Future.succeededFuture();
        });
  }

  /** The password was never checked (blocked, or the hashing queue was full): the account's charge is given back. */
  public Future<Void> abandon(Attempt attempt) {
    return attempt.account().map(account::refund)
        .or(() -> attempt.device().map(device::refund))
        .orElse(Future.succeededFuture())
        .recover(err -> Future.succeededFuture());
  }

  static Problem tooMany(long retryAfterSeconds) {
    return Lockouts.tooManyAttempts(retryAfterSeconds);
  }
}
