package dev.gatehouse.factor.passkey;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.db.Sql;
import dev.gatehouse.factor.passkey.PasskeyCeremony.Reason;
import dev.gatehouse.factor.passkey.PasskeyCeremony.Refused;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.Problem;
import dev.gatehouse.throttle.AttemptBudget;
import dev.gatehouse.throttle.ClientAddress;
import dev.gatehouse.throttle.Lockouts;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A passkey alone, without a password: discoverable, so the passkey names its account by its user handle,
 * and with user verification, so it is two factors in one (docs/security.md 47). The sign-in flow asks
 * here whose passkey answered; the session, the organisation's SSO rule and the sign-in event are its own.
 *
 * <p>The challenge is stateless ({@link PasskeyCeremony#signInOptions}): an anonymous visitor costs no row
 * and no memory (docs/security.md 30), and it is written down only by the sign-in that uses it, so it works
 * once. Failed answers draw on two budgets of their own (docs/security.md 49): the passkey owner's, charged
 * before the signature is checked (a burst gets exactly the budget's checks), and the client address's,
 * which counts failures only (many people signing in behind one address never use it up). Neither is the
 * password's, so guessing here cannot lock anyone out of signing in with a password.
 */
public final class Passwordless {

  public static final String FIELD = "passkey";
  /** A passkey sign-in without a password was refused: in the passkey owner's log, with the reason. */
  public static final String FAILED = "signin.passkey_failed";

  private final Pool pool;
  private final PasskeyStore store;
  private final PasskeyCeremony ceremony;
  private final AttemptBudget account;
  private final AttemptBudget address;
  private final SecurityEvents events;
  private final Clock clock;

  public Passwordless(Pool pool, PasskeyStore store, PasskeyCeremony ceremony, AttemptBudget account,
                      AttemptBudget address, SecurityEvents events, Clock clock) {
    this.pool = pool;
    this.store = store;
    this.ceremony = ceremony;
    this.account = account;
    this.address = address;
    this.events = events;
    this.clock = clock;
  }

  /** The options for {@code navigator.credentials.get()}, conditional (autofill) or not; nothing stored. */
  public JsonObject options() {
    return ceremony.signInOptions();
  }

  /** The browser's answer from a body member; 400 {@code malformed_passkey} when it cannot be one. */
  public SubmittedPasskey.Assertion parse(Object value) {
    return SubmittedPasskey.assertion(value, FIELD);
  }

  /**
   * The account whose passkey verified the person. Fails with 401 {@code invalid_passkey} (with a
   * {@code reason}) for a refused answer, 429 when a budget is used up.
   */
  public Future<UUID> signIn(SubmittedPasskey.Assertion assertion, ClientInfo client) {
    String addressKey = ClientAddress.budgetKey(client.ip());
    Future<Long> blocked = address.blockedFor(addressKey);
    Future<PasskeyStore.SignInRead> found = store.forSignIn(pool, assertion.credentialId(),
        assertion.clientData().challenge());
    return Future.all(blocked, found).compose(done -> {
      if (blocked.result() > 0) {
        return Future.failedFuture(Lockouts.tooManyAttempts(blocked.result()));
      }
      if (found.result().passkey().isEmpty()) {
        return failed(Reason.CREDENTIAL, addressKey, null, null, client);
      }
      PasskeyStore.Stored stored = found.result().passkey().get();
      boolean used = found.result().challengeUsed();
      return account.charge(stored.user().toString()).compose(charge -> {
        if (!charge.allowed()) {
          return Future.failedFuture(Lockouts.tooManyAttempts(charge.retryAfterSeconds()));
        }
        // A replay is told as one before any check: its counter, stale by now, must not look like a clone's.
        return (used ? Future.<UUID>failedFuture(new Refused(Reason.CHALLENGE)) : check(assertion, stored))
            .recover(err -> err instanceof Refused r ? failed(r.reason(), addressKey, charge, stored, client)
                // A fault while checking (the verifier threads busy) is no guess: the charge is given back.
                : account.refund(charge).transform(v -> Future.failedFuture(err)));
      });
    });
  }

  /** Our challenge, the owner's user handle, then the signature with user verification; then the settle. */
  private Future<UUID> check(SubmittedPasskey.Assertion assertion, PasskeyStore.Stored stored) {
    byte[] challenge = assertion.clientData().challenge();
    Optional<Instant> expires = ceremony.checkSignInChallenge(challenge);
    if (expires.isEmpty()) {
      return Future.failedFuture(new Refused(Reason.CHALLENGE));
    }
    // Without a password the passkey must say whose it is, and that must be its owner.
    if (assertion.userHandle() == null || !stored.ownedBy(assertion.userHandle())) {
      return Future.failedFuture(new Refused(Reason.CREDENTIAL));
    }
    return ceremony.verifyAssertion(stored, assertion, PasskeyCeremony.Purpose.SIGN_IN)
        .compose(used -> settle(stored, challenge, expires.get(), used));
  }

  /**
   * One statement: the challenge written down as used, the counter moved on (only forward) and the last
   * use noted, and the owner's failures forgotten; a replayed challenge or a counter that another use moved
   * past meanwhile changes nothing but the challenge.
   */
  private Future<UUID> settle(PasskeyStore.Stored stored, byte[] challenge, Instant expires,
                              PasskeyCeremony.Used used) {
    String key = stored.user().toString();
    return Sql.join(",\n", List.of(
            store.useSignInChallenge(challenge, expires),
            store.recordUse(stored.id(), used, clock.instant()).wrap("proof AS (%s)"),
            AttemptBudget.resetFragment(key, List.of(account.policy().scope()), " AND EXISTS (SELECT 1 FROM proof)")
                .wrap("reset AS (%s)")))
        .wrap("""
            WITH %s
            SELECT (SELECT user_id FROM proof) AS user_id, EXISTS (SELECT 1 FROM passkey_challenge) AS fresh""")
        .execute(pool)
        .compose(rows -> {
          Row row = rows.iterator().next();
          if (row.getUUID("user_id") != null) {
            return Future.succeededFuture(row.getUUID("user_id"));
          }
          if (row.getBoolean("fresh")) {
            PasskeyCeremony.counterWentBack(stored);
            return Future.failedFuture(new Refused(Reason.COUNTER));
          }
          return Future.failedFuture(new Refused(Reason.CHALLENGE));
        });
  }

  /**
   * A refused answer: the owner's charge stands (and locks the budget when it was the last), the address
   * counts a failure, and the owner's log says so before the answer goes out.
   */
  private <T> Future<T> failed(Reason reason, String addressKey, AttemptBudget.Charge charge,
                               PasskeyStore.Stored stored, ClientInfo client) {
    Future<Long> byAccount = charge != null && charge.last() ? account.lock(charge) : Future.succeededFuture(0L);
    Future<Long> byAddress = address.fail(addressKey);
    return Future.all(byAccount, byAddress).compose(done -> {
      long retry = Math.max(byAccount.result(), byAddress.result());
      Future<Void> logged = Future.succeededFuture();
      if (stored != null) {
        UUID owner = stored.user();
        if (reason == Reason.COUNTER) {
          logged = events.recordBestEffort(owner, PasskeyFactor.COUNTER_WENT_BACK, client,
              new JsonObject().put("name", stored.name()));
        }
        logged = logged.compose(v -> events.recordBestEffort(owner, FAILED, client,
            new JsonObject().put("method", PasskeyFactor.METHOD).put("reason", reason.code())));
        if (byAccount.result() > 0) {
          logged = logged.compose(v -> events.recordBestEffort(owner, Lockouts.LOCKED, client, new JsonObject()
              .put("budget", account.policy().scope()).put("retryAfter", byAccount.result())));
        }
      }
      return logged.compose(v -> Future.<T>failedFuture(retry > 0 ? Lockouts.tooManyAttempts(retry) : refused(reason)));
    });
  }

  static Problem refused(Reason reason) {
    return Problem.unauthorized("invalid_passkey", PasskeyCeremony.detail(reason)).with("reason", reason.code());
  }
}
