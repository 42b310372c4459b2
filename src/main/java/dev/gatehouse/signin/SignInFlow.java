package dev.gatehouse.signin;

import dev.gatehouse.session.SessionUser;
import dev.gatehouse.account.Account;
import dev.gatehouse.account.Accounts;
import dev.gatehouse.account.PasswordHasher;
import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.ProblemHandler;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.throttle.PasswordGuard;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The sign-in flow of docs/design.md: the password step, the second step when the user has 2FA, and
 * sign-out. Every transition rotates the session id.
 */
public final class SignInFlow implements RouteModule {

  private static final Logger LOG = LoggerFactory.getLogger(SignInFlow.class);
  public static final int MAX_PENDING_FAILURES = 5;
  private static final int MAX_PASSWORD_INPUT = 1024;

  private final Accounts accounts;
  private final PasswordHasher hasher;
  private final SecondFactor secondFactor;
  private final SsoPolicy sso;
  private final SecurityEvents events;
  private final PasswordGuard passwordGuard;
  private final List<String> trustedProxies;
  private final Clock clock;
  private final Metrics metrics;

  public SignInFlow(Accounts accounts, PasswordHasher hasher, SecondFactor secondFactor, SsoPolicy sso,
                    SecurityEvents events, PasswordGuard passwordGuard, List<String> trustedProxies, Clock clock,
                    Metrics metrics) {
    this.accounts = accounts;
    this.hasher = hasher;
    this.secondFactor = secondFactor;
    this.sso = sso;
    this.events = events;
    this.passwordGuard = passwordGuard;
    this.trustedProxies = trustedProxies;
    this.clock = clock;
    this.metrics = metrics;
  }

  @Override
  public void mount(Router router) {
    router.post("/api/session").handler(this::passwordStep);
    router.post("/api/session/two-factor").handler(this::secondStep);
    router.delete("/api/session").handler(this::signOut);
  }

  private void passwordStep(RoutingContext ctx) {
    JsonBody body = JsonBody.read(ctx, "email", "password");
    String emailInput = body.requiredString("email", 1024);
    String password = body.requiredString("password", MAX_PASSWORD_INPUT);
    ClientInfo client = ClientInfo.of(ctx, trustedProxies);
    Optional<String> email = Accounts.normaliseEmail(emailInput);
    // Budgets first: a blocked attacker costs no hash, and unknown emails are charged like known ones.
    passwordGuard.begin(email, client)
        .compose(attempt -> checkPassword(attempt, email, password, client))
        .compose(user -> {
          rehashIfNeeded(user, password);
          return sso.requiredFor(user.id()).compose(ssoUrl -> {
            if (ssoUrl.isPresent()) {
              return Future.failedFuture(Problem.forbidden("sso_required",
                  "Your organisation signs in through its identity provider.").with("ssoUrl", ssoUrl.get()));
            }
            return secondFactor.methods(user.id()).map(methods -> afterPassword(ctx, user, methods, client));
          });
        })
        .onSuccess(response -> {
          metrics.signIn(Metrics.PASSWORD, response.getString("state"));
          ctx.json(response);
        })
        .onFailure(err -> {
          metrics.signIn(Metrics.PASSWORD, ProblemHandler.codeOf(err));
          ctx.fail(err);
        });
  }

  /** The account whose password this is; else 401 invalid_credentials (or 429 when that used a budget up). */
  private Future<Account> checkPassword(PasswordGuard.Attempt attempt, Optional<String> email, String password,
                                        ClientInfo client) {
    Future<Optional<Account>> found = email.isPresent() ? accounts.byEmail(email.get())
        : Future.succeededFuture(Optional.empty());
    return found.compose(account -> {
      String hash = account.map(Account::passwordHash).orElse(null);
      // Unknown emails verify against a dummy hash: same work, same answer, similar time.
      return hasher.verify(hash, password)
          .recover(err -> passwordGuard.abandon(attempt).transform(v -> Future.<Boolean>failedFuture(err)))
          .compose(ok -> {
            if (ok) {
              return passwordGuard.succeeded(attempt).map(account.get());
            }
            if (account.isPresent()) {
              events.record(account.get().id(), SecurityEvents.PASSWORD_FAILED, client, null);
            }
            return passwordGuard.failed(attempt, account.map(Account::id), client)
                .compose(blocked -> Future.<Account>failedFuture(blocked.orElse(invalidCredentials())));
          });
    });
  }

  private JsonObject afterPassword(RoutingContext ctx, Account user, List<String> methods, ClientInfo client) {
    if (methods.isEmpty()) {
      SessionUser.signIn(ctx, user.id(), "password", clock);
      metrics.sessionStarted(Metrics.PASSWORD);
      events.record(user.id(), SecurityEvents.SIGNED_IN, client, new JsonObject().put("method", "password"));
      return new JsonObject().put("state", "signed_in").put("methods", new JsonArray());
    }
    SessionUser.startPending(ctx, user.id(), clock);
    return new JsonObject().put("state", "two_factor_required").put("methods", new JsonArray(methods));
  }

  private void secondStep(RoutingContext ctx) {
    Optional<SessionUser.Pending> pending = SessionUser.pending(ctx);
    if (pending.isEmpty()) {
      ctx.fail(expired("There is no sign-in waiting for a code. Start again."));
      return;
    }
    if (clock.millis() - pending.get().since() > SessionUser.PENDING_TIMEOUT.toMillis()) {
      SessionUser.clearPending(ctx);
      ctx.fail(expired("This sign-in took longer than 5 minutes. Start again."));
      return;
    }
    JsonBody body = JsonBody.read(ctx, secondFactor.fields().toArray(String[]::new));
    UUID user = pending.get().user();
    ClientInfo client = ClientInfo.of(ctx, trustedProxies);
    String attempted = body.has("recoveryCode") ? "recovery_code" : "totp";
    secondFactor.verify(user, body, client)
        // A wrong code is in the security log before the answer goes out, so the log keeps the order.
        .recover(err -> err instanceof Problem p && "invalid_code".equals(p.code())
            ? events.record(user, "signin.second_step_failed", client, new JsonObject().put("method", attempted))
                .compose(v -> Future.<SecondFactor.Verified>failedFuture(err))
            : Future.failedFuture(err))
        .onComplete(done -> metrics.secondStep(attempted,
            done.succeeded() ? Metrics.SIGNED_IN : ProblemHandler.codeOf(done.cause())))
        .onSuccess(verified -> {
          // The session may have been signed out or restarted while the code was checked.
          if (!SessionUser.pending(ctx).map(p -> p.user().equals(user)).orElse(false)) {
            ctx.fail(expired("This sign-in is no longer waiting for a code. Start again."));
            return;
          }
          SessionUser.signIn(ctx, user, verified.method(), clock);
          metrics.sessionStarted(verified.method());
          events.record(user, SecurityEvents.SIGNED_IN, client, new JsonObject().put("method", verified.method()))
              .onComplete(v -> ctx.json(new JsonObject().put("state", "signed_in").mergeIn(verified.response())));
        })
        .onFailure(err -> {
          if (err instanceof Problem p && "invalid_code".equals(p.code())) {
            int now = SessionUser.pendingFailed(ctx);
            if (now >= MAX_PENDING_FAILURES) {
              SessionUser.clearPending(ctx);
              ctx.fail(expired("Too many wrong codes. Sign in again with your password."));
              return;
            }
            p.with("attemptsLeft", MAX_PENDING_FAILURES - now);
          }
          ctx.fail(err);
        });
  }

  private void signOut(RoutingContext ctx) {
    SessionUser.signedIn(ctx, clock).ifPresent(user -> {
      events.record(user, SecurityEvents.SIGNED_OUT, ClientInfo.of(ctx, trustedProxies), null);
      metrics.sessionEnded("signed_out");
    });
    SessionUser.signOut(ctx);
    ctx.response().setStatusCode(204).end();
  }

  private void rehashIfNeeded(Account user, String password) {
    if (user.passwordHash() != null && hasher.needsRehash(user.passwordHash())) {
      hasher.hash(password)
          .compose(hash -> accounts.updatePasswordHash(user.id(), hash))
          .onSuccess(v -> LOG.info("Password hash upgraded to the configured Argon2id parameters"))
          .onFailure(err -> LOG.warn("Password rehash skipped: {}", err.toString()));
    }
  }

  static Problem invalidCredentials() {
    return Problem.unauthorized("invalid_credentials", "The email or password is not right.");
  }

  private static Problem expired(String detail) {
    return Problem.unauthorized("two_factor_expired", detail);
  }
}
