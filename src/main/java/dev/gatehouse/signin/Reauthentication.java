package dev.gatehouse.signin;

import dev.gatehouse.account.Account;
import dev.gatehouse.account.Accounts;
import dev.gatehouse.account.PasswordHasher;
import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.factor.FactorAttempts;
import dev.gatehouse.factor.Factors;
import dev.gatehouse.factor.Proof;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.session.SessionUser;
import dev.gatehouse.session.Sudo;
import dev.gatehouse.throttle.SudoGuard;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code POST /api/me/sudo}: re-authentication at the account's full strength (docs/security.md 25).
 * Without 2FA the password alone grants sudo. With 2FA the password is followed by a second factor
 * (both in one body, or the password first and then the proof within 5 minutes); only both grant
 * the 10 minutes. The password draws on the sudo budget, the proof on the second step's budgets
 * through the one attempt service.
 */
public final class Reauthentication implements RouteModule {

  private static final int MAX_PASSWORD_INPUT = 1024;

  private final Pool pool;
  private final Accounts accounts;
  private final PasswordHasher hasher;
  private final SudoGuard sudoGuard;
  private final Factors factors;
  private final FactorAttempts attempts;
  private final SsoPolicy sso;
  private final SecurityEvents events;
  private final Clock clock;

  public Reauthentication(Pool pool, Accounts accounts, PasswordHasher hasher, SudoGuard sudoGuard, Factors factors,
                          FactorAttempts attempts, SsoPolicy sso, SecurityEvents events, Clock clock) {
    this.pool = pool;
    this.accounts = accounts;
    this.hasher = hasher;
    this.sudoGuard = sudoGuard;
    this.factors = factors;
    this.attempts = attempts;
    this.sso = sso;
    this.events = events;
    this.clock = clock;
  }

  @Override
  public void mount(Router router) {
    router.post("/api/me/sudo").handler(SessionUser.required(clock)).handler(this::reauthenticate);
  }

  private void reauthenticate(RoutingContext ctx) {
    List<String> allowed = new ArrayList<>(factors.fields());
    allowed.add("password");
    JsonBody body = JsonBody.read(ctx, allowed.toArray(String[]::new));
    String password = body.optionalString("password", MAX_PASSWORD_INPUT);
    Optional<Proof<?>> proof = factors.parseIfAny(body);
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx);
    accounts.byId(user)
        .compose(found -> found.isPresent() ? Future.succeededFuture(found.get())
            : Future.<Account>failedFuture(Problem.notSignedIn()))
        // Whatever the body: an account without a password is told where it confirms instead.
        .compose(account -> account.passwordHash() == null ? ssoOnly(user)
            : password == null && proof.isEmpty()
            ? Future.failedFuture(Problem.invalidField("password", "'password' is required."))
            : factors.of(pool, user).compose(methods -> {
              Future<Void> first = password == null ? passwordHalfGiven(ctx) : checkPassword(account, password, client);
              return first.compose(v -> {
                if (!methods.twoFactorOn()) {
                  // Awaited, so the log reads in the order things happened (a request right after sees it).
                  return events.recordBestEffort(user, SecurityEvents.SUDO_GRANTED, client,
                      new JsonObject().put("method", "password")).map(Optional.<JsonObject>empty());
                }
                if (proof.isEmpty()) {
                  SessionUser.sudoPasswordConfirmed(ctx, clock.millis());
                  return Future.succeededFuture(Optional.of(new JsonObject().put("state", "second_factor_required")
                      .put("methods", new JsonArray(methods.usable()))));
                }
                // The proof's success writes sudo.granted in the statement that settles it.
                return attempts.attempt(user, proof.get(), FactorAttempts.Purpose.SUDO, client)
                    .map(answer -> Optional.<JsonObject>empty());
              });
            }))
        .compose(pendingCode -> {
          if (pendingCode.isEmpty()) {
            SessionUser.grantSudo(ctx, clock.millis() + Sudo.VALIDITY.toMillis());
          }
          // Stored before the answer: the next request may land on another node.
          return SessionUser.save(ctx).map(pendingCode);
        })
        .onSuccess(pendingCode -> {
          if (pendingCode.isPresent()) {
            ctx.json(pendingCode.get());
          } else {
            ctx.response().setStatusCode(204).end();
          }
        })
        .onFailure(ctx::fail);
  }

  /** A stolen session must not become a password-guessing oracle: sudo's password has a budget of its own. */
  private Future<Void> checkPassword(Account account, String password, ClientInfo client) {
    return sudoGuard.begin(account.id())
        .compose(charge -> hasher.verify(account.passwordHash(), password)
            .recover(err -> sudoGuard.abandon(charge).transform(v -> Future.<Boolean>failedFuture(err)))
            .compose(ok -> sudoGuard.settle(charge, ok, client)));
  }

  /** A proof without the password: only right after the password half, in this session. */
  private Future<Void> passwordHalfGiven(RoutingContext ctx) {
    long at = SessionUser.sudoPasswordAt(ctx);
    return at > 0 && clock.millis() - at <= Sudo.PASSWORD_HALF_VALIDITY.toMillis() ? Future.succeededFuture()
        : Future.failedFuture(Problem.forbidden("password_required", "Confirm your password first.")
            .with("field", "password"));
  }

  /**
   * An account made by SSO has no password: it re-authenticates at its organisation's provider,
   * whose start ({@code ssoUrl}, a POST) the answer names while the organisation has SSO on.
   */
  private Future<Optional<JsonObject>> ssoOnly(UUID user) {
    return sso.reauthenticationUrl(user).compose(url -> {
      Problem problem = Problem.forbidden("sso_reauthentication_required", url.isPresent()
          ? "Your account signs in through your organisation. Sign in there again to continue."
          : "Your account signs in through your organisation, whose single sign-on is off now: there is nowhere to "
              + "confirm it's you. Ask its owner.");
      url.ifPresent(u -> problem.with("ssoUrl", u));
      return Future.failedFuture(problem);
    });
  }
}
