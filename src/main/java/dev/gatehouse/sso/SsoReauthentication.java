package dev.gatehouse.sso;

import dev.gatehouse.account.Account;
import dev.gatehouse.account.Accounts;
import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.Problem;
import dev.gatehouse.session.SessionUser;
import dev.gatehouse.session.Sudo;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Sudo for an account without a password (made by SSO): a fresh sign-in at its organisation's
 * provider (docs/security.md 25). {@code POST /sso/{slug}/reauthenticate} from the signed-in
 * session asks the provider to sign the person in again ({@code prompt=login}, {@code max_age=0});
 * the callback, the one the provider knows for sign-ins, checks the ID token as a sign-in does,
 * then that {@code auth_time} is not before the start, and that the identity (organisation,
 * issuer, subject) is the one bound to this very account. Only then is sudo granted, for the
 * usual 10 minutes. It never signs in to, links or creates any account, and a failure grants
 * nothing.
 */
final class SsoReauthentication {

  private static final Logger LOG = LoggerFactory.getLogger(SsoReauthentication.class);
  /** Back on the account page, confirmed. */
  static final String LANDING = "/account?sudo=sso";
  /** In the account's own log: a confirmation at the provider that did not count, and why. */
  static final String REFUSED = "sudo.sso_refused";

  private final Accounts accounts;
  private final SsoIdentities identities;
  private final Vouching vouching;
  private final SecurityEvents events;
  private final Clock clock;

  SsoReauthentication(Accounts accounts, SsoIdentities identities, Vouching vouching, SecurityEvents events,
                      Clock clock) {
    this.accounts = accounts;
    this.identities = identities;
    this.vouching = vouching;
    this.events = events;
    this.clock = clock;
  }

  /** Where {@code POST /api/me/sudo} sends an account without a password. */
  static String startUrl(String slug) {
    return "/sso/" + slug + "/reauthenticate";
  }

  /**
   * {@code POST /sso/{slug}/reauthenticate} (signed in, CSRF token): answers {@code {location}}, the
   * provider's sign-in page. Only for an account without a password whose identity this
   * organisation's provider holds: an account with a password confirms with it (and its second
   * factor), never through a provider that does not know its second factor.
   */
  Future<Map<String, String>> start(RoutingContext ctx, Organisation org) {
    UUID user = SessionUser.id(ctx);
    return accounts.byId(user)
        .compose(found -> found.isPresent() ? Future.succeededFuture(found.get())
            : Future.<Account>failedFuture(Problem.notSignedIn()))
        .compose(account -> {
          if (account.passwordHash() != null) {
            return Future.failedFuture(Problem.conflict("password_set",
                "Your account has a password: confirm it's you with it."));
          }
          return identities.isBound(user, org.id());
        })
        .compose(bound -> bound ? Future.succeededFuture(Map.of("prompt", "login", "max_age", "0"))
            : Future.failedFuture(new SsoFailure(SsoFailure.NOT_FOUND,
                "the account has no identity at this organisation's provider")));
  }

  /**
   * The callback of a re-authentication: only in the session, for the account, that started it.
   * Answers where the browser goes.
   */
  Future<String> finish(RoutingContext ctx, Organisation org, String code, SsoFlow flow, ClientInfo client) {
    Optional<UUID> signedIn = SessionUser.signedIn(ctx, clock);
    if (signedIn.isEmpty() || !signedIn.get().equals(flow.sudoFor())) {
      return Future.failedFuture(new SsoFailure(SsoFailure.STATE_INVALID,
          "the session is no longer signed in as the account that asked to re-authenticate"));
    }
    UUID user = flow.sudoFor();
    return vouching.check(org, code, flow)
        .compose(answer -> {
          IdTokenCheck.authenticatedSince(answer.claims(), flow.startedAt() / 1000, clock.millis() / 1000);
          return identities.boundUser(answer.who());
        })
        .compose(bound -> bound.filter(user::equals).isPresent() ? Future.<Void>succeededFuture()
            : Future.failedFuture(new SsoFailure(SsoFailure.IDENTITY_MISMATCH, bound.isEmpty()
                ? "the provider signed in an identity bound to no account"
                : "the provider signed in the identity of another account")))
        .compose(v -> {
          SessionUser.grantSudo(ctx, clock.millis() + Sudo.VALIDITY.toMillis());
          // Stored before the redirect: the next request may land on another node.
          return SessionUser.save(ctx);
        })
        .compose(v -> events.recordBestEffort(user, SecurityEvents.SUDO_GRANTED, client,
            new JsonObject().put("method", "sso").put("organisation", org.name())))
        .map(v -> {
          LOG.info("Sudo granted through the SSO provider of organisation {}", org.slug());
          return LANDING;
        })
        .recover(err -> refused(user, org, client, err));
  }

  /** A provider's answer that did not count is in the account's log too: a session thief would show up there. */
  private Future<String> refused(UUID user, Organisation org, ClientInfo client, Throwable err) {
    if (err instanceof SsoFailure failure
        && (SsoFailure.NOT_FRESH.equals(failure.code()) || SsoFailure.IDENTITY_MISMATCH.equals(failure.code()))) {
      return events.recordBestEffort(user, REFUSED, client, new JsonObject().put("method", "sso")
              .put("organisation", org.name()).put("reason", failure.code()))
          .transform(v -> Future.failedFuture(err));
    }
    return Future.failedFuture(err);
  }
}
