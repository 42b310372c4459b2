package dev.gatehouse.factor.passkey;

import dev.gatehouse.db.Sql;
import dev.gatehouse.factor.Check;
import dev.gatehouse.factor.Factor;
import dev.gatehouse.factor.passkey.PasskeyCeremony.Reason;
import dev.gatehouse.factor.passkey.PasskeyCeremony.Refused;
import dev.gatehouse.http.Problem;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * A passkey after the password, for the second step and for sudo ({@code {"passkey": <the browser's
 * PublicKeyCredential in its JSON form>}}), against a challenge the server made for the account
 * ({@code POST /api/session/two-factor/passkey/options}, {@code POST /api/me/sudo/passkey/options}).
 * A page whose passkey prompt was cancelled or failed says so with {@code {"passkey": "cancelled"}}: it
 * draws on the second-step budget like a wrong code (docs/security.md 47).
 *
 * <p>The read finds the account's passkey and whether the challenge is waiting; the check verifies the
 * signature on the ceremony's own threads (a few ms of CPU, never on an event loop); the settle statement
 * takes the challenge whatever the outcome (so an answer is judged once) and, for an accepted answer,
 * moves the counter on and notes the use only when the counter went forward (docs/security.md 44-47).
 */
public final class PasskeyFactor implements Factor<PasskeyFactor.Answer> {

  public static final String METHOD = "passkey";
  public static final String FIELD = "passkey";
  /** A security event for the owner: a counter that went backwards, maybe a cloned authenticator. */
  public static final String COUNTER_WENT_BACK = "passkey.counter_went_back";
  static final String CANCELLED = "cancelled";

  private final PasskeyStore store;
  private final PasskeyCeremony ceremony;
  private final Clock clock;

  /** What the page sent: the browser's answer, or none when the prompt was cancelled. */
  public record Answer(SubmittedPasskey.Assertion assertion) {

    boolean cancelled() {
      return assertion == null;
    }
  }

  public PasskeyFactor(PasskeyStore store, PasskeyCeremony ceremony, Clock clock) {
    this.store = store;
    this.ceremony = ceremony;
    this.clock = clock;
  }

  @Override
  public String method() {
    return METHOD;
  }

  @Override
  public String field() {
    return FIELD;
  }

  @Override
  public Answer parse(Object value) {
    return CANCELLED.equals(value) ? new Answer(null) : new Answer(SubmittedPasskey.assertion(value, FIELD));
  }

  @Override
  public Sql enrolled(UUID user) {
    return store.enrolled(user);
  }

  @Override
  public Sql read(UUID user, Answer answer) {
    return answer.cancelled() ? null : store.read(user, answer.assertion().credentialId(),
        answer.assertion().clientData().challenge(), clock.instant());
  }

  @Override
  public Future<Check> check(UUID user, Answer answer, Row found) {
    if (answer.cancelled()) {
      return Future.succeededFuture(Check.refusedWith(refused(Reason.CANCELLED)));
    }
    SubmittedPasskey.Assertion assertion = answer.assertion();
    Instant now = clock.instant();
    Sql take = store.take(user, assertion.clientData().challenge(), now);
    if (!found.getBoolean("passkey_challenge_waiting")) {
      return Future.succeededFuture(refusal(take, Reason.CHALLENGE, null));
    }
    // Another account's passkey, or none, is one answer: nobody learns whose a credential id is.
    Optional<PasskeyStore.Stored> stored = PasskeyStore.found(found, user, assertion.credentialId());
    if (stored.isEmpty() || (assertion.userHandle() != null && !stored.get().ownedBy(assertion.userHandle()))) {
      return Future.succeededFuture(refusal(take, Reason.CREDENTIAL, null));
    }
    return ceremony.verifyAssertion(stored.get(), assertion, PasskeyCeremony.Purpose.ASSERTION)
        .map(used -> accepted(take, store.recordUse(stored.get().id(), used, now), stored.get()))
        .recover(err -> err instanceof Refused r
            ? Future.succeededFuture(refusal(take, r.reason(), r.reason() == Reason.COUNTER ? stored.get() : null))
            : Future.failedFuture(err));
  }

  /** A verified answer: accepted when the settle statement gets the challenge and the counter moves forward. */
  private static Check accepted(Sql take, Sql recordUse, PasskeyStore.Stored stored) {
    return new Check() {
      @Override
      public List<Sql> before() {
        return List.of(take);
      }

      @Override
      public Sql proof() {
        return recordUse;
      }

      /** A parallel use that got the challenge but not the counter: the counter went back meanwhile. */
      @Override
      public List<Sql> events() {
        return List.of(counterEvent(stored).wrap("%s FROM ok WHERE NOT accepted AND EXISTS (SELECT 1 FROM passkey_challenge)"));
      }

      @Override
      public Sql columns() {
        return Sql.of("EXISTS (SELECT 1 FROM passkey_challenge) AS passkey_challenge_taken");
      }

      @Override
      public Problem refused(Row row) {
        if (!row.getBoolean("passkey_challenge_taken")) {
          return PasskeyFactor.refused(Reason.CHALLENGE);
        }
        PasskeyCeremony.counterWentBack(stored);
        return PasskeyFactor.refused(Reason.COUNTER);
      }
    };
  }

  /** Refused in memory: the challenge is still taken; a counter gone back is in the owner's log too. */
  private static Check refusal(Sql take, Reason reason, PasskeyStore.Stored clone) {
    Problem problem = refused(reason);
    return new Check() {
      @Override
      public List<Sql> before() {
        return List.of(take);
      }

      @Override
      public Sql proof() {
        return Sql.of("SELECT false AS accepted WHERE false");
      }

      @Override
      public List<Sql> events() {
        return clone == null ? List.of() : List.of(counterEvent(clone));
      }

      @Override
      public Problem refused(Row row) {
        return problem;
      }
    };
  }

  private static Sql counterEvent(PasskeyStore.Stored stored) {
    return Sql.of("SELECT 1 AS ord, :passkey_event::text AS type, jsonb_build_object('name', :passkey_name::text) AS details")
        .bind("passkey_event", COUNTER_WENT_BACK).bind("passkey_name", stored.name());
  }

  @Override
  public Future<Void> removeAll(SqlClient tx, UUID user) {
    return store.deleteAll(tx, user);
  }

  /** Counted like a wrong code (401 {@code invalid_code}); {@code reason} lets the page explain. */
  static Problem refused(Reason reason) {
    return Problem.unauthorized("invalid_code", PasskeyCeremony.detail(reason)).with("method", METHOD)
        .with("reason", reason.code());
  }
}
