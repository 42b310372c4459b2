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
import dev.gatehouse.factor.FactorAttempts;
import dev.gatehouse.factor.Factors;
import dev.gatehouse.factor.Proof;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.throttle.PasswordGuard;
import io.vertx.sqlclient.Pool;
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
  private final Pool pool;
  private final Factors factors;
  private final FactorAttempts attempts;
  private final SsoPolicy sso;
  private final SecurityEvents events;
  private final PasswordGuard passwordGuard;
  private final SignInHook signedIn;
  private final Clock clock;
  private final Metrics metrics;

  public SignInFlow(Pool pool, Accounts accounts, PasswordHasher hasher, Factors factors, FactorAttempts attempts,
                    SsoPolicy sso, SecurityEvents events, PasswordGuard passwordGuard, SignInHook signedIn,
                    Clock clock, Metrics metrics) {
    this.pool = pool;
    this.accounts = accounts;
    this.hasher = hasher;
    this.factors = factors;
    this.attempts = attempts;
    this.sso = sso;
    this.events = events;
    this.passwordGuard = passwordGuard;
    this.signedIn = signedIn;
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
    ClientInfo client = ClientInfo.of(ctx);
    Optional<String> email = Accounts.normaliseEmail(emailInput);
    // Budgets first: a blocked attacker costs no hash, and unknown emails are charged like known ones.
    passwordGuard.begin(ctx, email, client)
        .compose(attempt -> checkPassword(attempt, email, password, client))
        .compose(user -> {
          rehashIfNeeded(user, password);
          return sso.requiredFor(ctx, user.id()).compose(ssoUrl -> {
            if (ssoUrl.isPresent()) {
              return Future.failedFuture(Problem.forbidden("sso_required",
                  "Your organisation signs in through its identity provider.").with("ssoUrl", ssoUrl.get()));
            }
            return factors.of(pool, user.id()).compose(methods -> afterPassword(ctx, user, methods.usable(), client));
          });
        })
        .compose(response -> SessionUser.save(ctx).map(response))
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
              events.recordBestEffort(account.get().id(), SecurityEvents.PASSWORD_FAILED, client, null);
            }
            return passwordGuard.failed(attempt, account.map(Account::id), client)
                .compose(blocked -> Future.<Account>failedFuture(blocked.orElse(invalidCredentials())));
          });
    });
  }

  private Future<JsonObject> afterPassword(RoutingContext ctx, Account user, List<String> methods, ClientInfo client) {
    if (methods.isEmpty()) {
      SessionUser.signIn(ctx, user.id(), "password", clock);
      metrics.sessionStarted(Metrics.PASSWORD);
      events.recordBestEffort(user.id(), SecurityEvents.SIGNED_IN, client, new JsonObject().put("method", "password"));
      return signedIn.signedIn(ctx, user.id(), user.email(), client)
          .map(new JsonObject().put("state", "signed_in").put("methods", new JsonArray()));
    }
    SessionUser.startPending(ctx, user.id(), user.email(), clock);
    return Future.succeededFuture(new JsonObject().put("state", "two_factor_required").put("methods", new JsonArray(methods)));
  }

  /** The code (or other proof) after the password; its method is named once, when the body is parsed. */
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
    Proof<?> proof = factors.parse(JsonBody.read(ctx, factors.fields().toArray(String[]::new)));
    UUID user = pending.get().user();
    // The sign-in is written in the statement that settles the proof: one commit spends the code and
    // signs the session in, one statement fewer; a session ended meanwhile is not signed in
    // (docs/design.md, "The second step").
    SessionUser.SignInWrite write = SessionUser.prepareSignIn(ctx, user, proof.method(), clock).orElse(null);
    if (write == null) {
      ctx.fail(expired("There is no sign-in waiting for a code. Start again."));
      return;
    }
    FactorAttempts.Alongside alongside = new FactorAttempts.Alongside(write::write,
        () -> expired("This sign-in is no longer waiting for a code. Start again."));
    attempts.attempt(user, proof, FactorAttempts.Purpose.SIGN_IN, ClientInfo.of(ctx), alongside)
        .onComplete(done -> metrics.secondStep(proof.method(),
            done.succeeded() ? Metrics.SIGNED_IN : ProblemHandler.codeOf(done.cause())))
        .onSuccess(answer -> {
          write.apply();
          metrics.sessionStarted(proof.method());
          // The sign-in event is in the statement that settled the code; what hangs on a completed sign-in follows.
          signedIn.signedIn(ctx, user, pending.get().email(), ClientInfo.of(ctx))
              .compose(v -> SessionUser.save(ctx))
              .onSuccess(v -> ctx.json(new JsonObject().put("state", "signed_in").mergeIn(answer)))
              .onFailure(ctx::fail);
        })
        .onFailure(err -> {
          if (err instanceof Problem p && "invalid_code".equals(p.code())) {
            // docs/security.md 7: five wrong codes in one pending sign-in end it.
            int wrong = SessionUser.pendingFailed(ctx);
            if (wrong >= MAX_PENDING_FAILURES) {
              SessionUser.clearPending(ctx);
              ctx.fail(expired("Too many wrong codes. Sign in again with your password."));
              return;
            }
            p.with("attemptsLeft", MAX_PENDING_FAILURES - wrong);
          }
          ctx.fail(err);
        });
  }

  private void signOut(RoutingContext ctx) {
    SessionUser.signedIn(ctx, clock).ifPresent(user -> {
      events.recordBestEffort(user, SecurityEvents.SIGNED_OUT, ClientInfo.of(ctx), null);
      metrics.sessionEnded("signed_out");
    });
    SessionUser.signOut(ctx);
    SessionUser.save(ctx).onSuccess(v -> ctx.response().setStatusCode(204).end()).onFailure(ctx::fail);
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
