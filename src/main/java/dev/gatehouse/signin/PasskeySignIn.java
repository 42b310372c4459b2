package dev.gatehouse.signin;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.factor.passkey.PasskeyFactor;
import dev.gatehouse.factor.passkey.Passwordless;
import dev.gatehouse.factor.passkey.SubmittedPasskey;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.ProblemHandler;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.session.SessionUser;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.time.Clock;
import java.util.UUID;

/**
 * Signing in with a passkey alone (docs/design.md, "Sign-in state machine"): anonymous → signed in in one
 * step, because a passkey with user verification is two factors. The passkey's owner is told by
 * {@link Passwordless}; a member of an organisation that requires SSO is sent to its provider instead, as
 * after a right password. The session id is rotated as at every sign-in.
 */
public final class PasskeySignIn implements RouteModule {

  static final String OPTIONS = "/api/session/passkey/options";
  static final String SIGN_IN = "/api/session/passkey";

  private final Passwordless passwordless;
  private final SsoPolicy sso;
  private final SecurityEvents events;
  private final SignInHook signedIn;
  private final Clock clock;
  private final Metrics metrics;

  public PasskeySignIn(Passwordless passwordless, SsoPolicy sso, SecurityEvents events, SignInHook signedIn,
                       Clock clock, Metrics metrics) {
    this.passwordless = passwordless;
    this.sso = sso;
    this.events = events;
    this.signedIn = signedIn;
    this.clock = clock;
    this.metrics = metrics;
  }

  @Override
  public void mount(Router router) {
    router.post(OPTIONS).handler(this::options);
    router.post(SIGN_IN).handler(this::signIn);
  }

  /** Stateless: an anonymous visitor (a page that offers passkey autofill on every visit) costs nothing. */
  private void options(RoutingContext ctx) {
    JsonBody.read(ctx);
    ctx.response().putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-store")
        .end(new JsonObject().put("publicKey", passwordless.options()).encode());
  }

  private void signIn(RoutingContext ctx) {
    JsonBody body = JsonBody.read(ctx, Passwordless.FIELD);
    if (!body.has(Passwordless.FIELD)) {
      throw Problem.invalidField(Passwordless.FIELD, "'passkey' is required.");
    }
    SubmittedPasskey.Assertion assertion = passwordless.parse(body.json().getValue(Passwordless.FIELD));
    ClientInfo client = ClientInfo.of(ctx);
    passwordless.signIn(assertion, client)
        .compose(user -> sso.requiredFor(ctx, user).compose(ssoUrl -> ssoUrl.isPresent()
            ? Future.<UUID>failedFuture(Problem.forbidden("sso_required",
                "Your organisation signs in through its identity provider.").with("ssoUrl", ssoUrl.get()))
            : Future.succeededFuture(user)))
        .compose(user -> {
          SessionUser.signIn(ctx, user, PasskeyFactor.METHOD, clock);
          metrics.sessionStarted(PasskeyFactor.METHOD);
          events.recordBestEffort(user, SecurityEvents.SIGNED_IN, client,
              new JsonObject().put("method", PasskeyFactor.METHOD).put("passwordless", true));
          // A completed sign-in, as after the password and the second step: the device cookie, a waiting SSO
          // link; then the session is stored before the answer, for the next request may reach another node.
          return signedIn.signedIn(ctx, user, null, client).compose(v -> SessionUser.save(ctx));
        })
        .onSuccess(v -> {
          metrics.signIn(PasskeyFactor.METHOD, Metrics.SIGNED_IN);
          ctx.json(new JsonObject().put("state", "signed_in"));
        })
        .onFailure(err -> {
          metrics.signIn(PasskeyFactor.METHOD, ProblemHandler.codeOf(err));
          ctx.fail(err);
        });
  }
}
