package dev.gatehouse.factor.totp;

import dev.gatehouse.account.Account;
import dev.gatehouse.account.Accounts;
import dev.gatehouse.session.Sudo;
import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.factor.recovery.RecoveryCode;
import dev.gatehouse.factor.recovery.RecoveryCodeFactor;
import dev.gatehouse.factor.recovery.RecoveryCodes;
import dev.gatehouse.session.OtherSessions;
import dev.gatehouse.session.SessionUser;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import java.util.function.Function;

/**
 * The "Two-factor authentication" section of the account settings, server side: set up an authenticator
 * app (QR code or setup key), confirm it with a code, re-configure, disable. Everything here needs the
 * password confirmed within 10 minutes, and acts on the session's own user only.
 */
public final class TwoFactorSettings implements RouteModule {

  public static final String SETUP_STARTED = "two_factor.setup_started";
  public static final String ENABLED = "two_factor.enabled";
  public static final String RECONFIGURED = "two_factor.reconfigured";
  public static final String DISABLED = "two_factor.disabled";

  static final String QR_PNG = "/api/me/two-factor/setup/qr.png";
  static final String QR_SVG = "/api/me/two-factor/setup/qr.svg";

  private final Pool pool;
  private final Accounts accounts;
  private final TotpCredentials credentials;
  private final RecoveryCodes recoveryCodes;
  private final SecurityEvents events;
  private final String issuer;
  private final List<String> trustedProxies;
  private final Clock clock;

  public TwoFactorSettings(Pool pool, Accounts accounts, TotpCredentials credentials, RecoveryCodes recoveryCodes,
                           SecurityEvents events, String issuer, List<String> trustedProxies, Clock clock) {
    this.pool = pool;
    this.accounts = accounts;
    this.credentials = credentials;
    this.recoveryCodes = recoveryCodes;
    this.events = events;
    this.issuer = issuer;
    this.trustedProxies = trustedProxies;
    this.clock = clock;
  }

  @Override
  public void mount(Router router) {
    // Guards on every route, not only the shared /api/me/* one, so mounting order cannot open a hole.
    router.post("/api/me/two-factor/setup").handler(SessionUser.required(clock)).handler(Sudo.required(clock))
        .handler(this::startSetup);
    router.get(QR_PNG).handler(SessionUser.required(clock)).handler(Sudo.required(clock))
        .handler(ctx -> qrCode(ctx, "image/png", qr -> Buffer.buffer(qr.png())));
    router.get(QR_SVG).handler(SessionUser.required(clock)).handler(Sudo.required(clock))
        .handler(ctx -> qrCode(ctx, "image/svg+xml", qr -> Buffer.buffer(qr.svg())));
    router.post("/api/me/two-factor/setup/confirm").handler(SessionUser.required(clock))
        .handler(Sudo.required(clock)).handler(this::confirm);
    router.delete("/api/me/two-factor").handler(SessionUser.required(clock)).handler(Sudo.required(clock))
        .handler(this::disable);
  }

  /**
   * A new pending secret. While 2FA is on this is "re-configure": it needs a current code or a recovery
   * code, exactly as disabling does (swapping the app is as good as turning 2FA off), and the old secret
   * works until the new one is confirmed. The first setup takes an empty body.
   */
  private void startSetup(RoutingContext ctx) {
    Proof proof = Proof.read(JsonBody.read(ctx, "code", "recoveryCode"));
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx, trustedProxies);
    account(user).compose(account -> pool.withTransaction(tx -> credentials.status(tx, user).compose(status -> {
          boolean reconfigure = status.isPresent();
          if (reconfigure && proof == null) {
            return Future.failedFuture(currentFactorRequired());
          }
          if (!reconfigure && proof != null) {
            return Future.failedFuture(notEnabled()); // nothing to prove yet; the guard gives the attempt back
          }
          JsonObject details = new JsonObject().put("reconfigure", reconfigure);
          Future<Void> proven = Future.succeededFuture();
          if (proof != null) {
            details.put("method", proof.method());
            proven = check(tx, user, proof, client);
          }
          return proven.compose(v -> credentials.startSetup(tx, user, reconfigure))
              .compose(setup -> events.record(tx, user, SETUP_STARTED, client, details)
                  .map(v -> setupBody(account, setup, reconfigure)));
        })))
        .onSuccess(body -> ctx.response().setStatusCode(201).putHeader("Cache-Control", "no-store")
            .putHeader("Content-Type", "application/json").end(body.encode()))
        .onFailure(ctx::fail);
  }

  private JsonObject setupBody(Account account, TotpCredentials.PendingSetup setup, boolean reconfigure) {
    TotpSecret secret = setup.secret();
    return new JsonObject()
        .put("secret", secret.base32())
        .put("secretGrouped", secret.grouped())
        .put("otpauthUri", KeyUri.of(issuer, account.email(), secret))
        .put("qrCodeUrl", QR_PNG)
        .put("qrCodeSvgUrl", QR_SVG)
        .put("expiresAt", setup.expiresAt().toString())
        .put("reconfigure", reconfigure);
  }

  /** Drawn on a worker thread: ImageIO's first use loads plugins, too slow for an event loop. */
  private void qrCode(RoutingContext ctx, String contentType, Function<QrCode, Buffer> draw) {
    UUID user = SessionUser.id(ctx);
    account(user).compose(found -> credentials.pendingSecret(pool, user).compose(secret -> {
          if (secret.isEmpty()) {
            return Future.failedFuture(TotpCredentials.noSetup());
          }
          String uri = KeyUri.of(issuer, found.email(), secret.get());
          return ctx.vertx().executeBlocking(() -> draw.apply(QrCode.of(uri)), false);
        }))
        .onSuccess(image -> ctx.response().putHeader("Content-Type", contentType)
            .putHeader("Cache-Control", "no-store").end(image))
        .onFailure(ctx::fail);
  }

  /** The first confirmation turns 2FA on and hands out recovery codes; a later one replaces the secret. */
  private void confirm(RoutingContext ctx) {
    JsonBody body = JsonBody.read(ctx, "code");
    String code = TotpFactor.codeField(body);
    if (code == null) {
      ctx.fail(TotpCredentials.malformed());
      return;
    }
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx, trustedProxies);
    pool.withTransaction(tx -> credentials.confirm(tx, user, code).compose(confirmed -> OtherSessions.end(tx, ctx)
        .compose(ended -> {
          if (!confirmed.firstTime()) {
            return events.record(tx, user, RECONFIGURED, client, new JsonObject().put("sessionsEnded", ended))
                .map(v -> new JsonObject().put("enabled", true).put("reconfigured", true));
          }
          return recoveryCodes.replaceSet(tx, user).compose(codes -> events.record(tx, user, ENABLED, client,
                  new JsonObject().put("method", TotpFactor.METHOD).put("sessionsEnded", ended))
              .map(v -> new JsonObject().put("enabled", true).put("reconfigured", false)
                  .put("recoveryCodes", new JsonArray(codes.stream().map(RecoveryCode::display).toList()))));
        })))
        .onSuccess(response -> ctx.response().putHeader("Cache-Control", "no-store")
            .putHeader("Content-Type", "application/json").end(response.encode()))
        .onFailure(ctx::fail);
  }

  /** Needs a current code or a recovery code besides sudo; the secret, any setup and the codes go together. */
  private void disable(RoutingContext ctx) {
    Proof proof = Proof.read(JsonBody.read(ctx, "code", "recoveryCode"));
    if (proof == null) {
      ctx.fail(Problem.badRequest("invalid_field", "Send a code from your app or a recovery code.")
          .with("allowed", ALLOWED));
      return;
    }
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx, trustedProxies);
    pool.withTransaction(tx -> credentials.status(tx, user).compose(status -> {
          if (status.isEmpty()) {
            return Future.failedFuture(notEnabled());
          }
          // Spent in this transaction; the disabled event names the method (the codes all go, so no
          // separate recovery_code.used event as when re-configuring).
          return check(tx, user, proof, null)
              .compose(v -> credentials.delete(tx, user))
              .compose(v -> recoveryCodes.delete(tx, user))
              .compose(v -> OtherSessions.end(tx, ctx))
              .compose(ended -> events.record(tx, user, DISABLED, client,
                  new JsonObject().put("method", proof.method()).put("sessionsEnded", ended)));
        }))
        .onSuccess(v -> ctx.response().setStatusCode(204).putHeader("Cache-Control", "no-store").end())
        .onFailure(ctx::fail);
  }

  private static final List<String> ALLOWED = List.of("code", "recoveryCode");

  /**
   * The current factor sent with a change that needs it: a code from the app or a recovery code. Each
   * route sits behind {@link dev.gatehouse.throttle.DisableGuard}, which charges the code budgets first.
   */
  private record Proof(boolean totp, String code) {

    /** Null when the body names neither; a 400 for both, or for a code of the wrong type or size. */
    static Proof read(JsonBody body) {
      boolean withCode = body.has("code");
      boolean withRecovery = body.has("recoveryCode");
      if (!withCode && !withRecovery) {
        return null;
      }
      if (withCode && withRecovery) {
        throw Problem.badRequest("invalid_field", "Send a code from your app or a recovery code, not both.")
            .with("allowed", ALLOWED);
      }
      String code = withCode ? TotpFactor.codeField(body) : RecoveryCodeFactor.codeField(body);
      if (code == null) {
        throw withCode ? TotpCredentials.malformed() : RecoveryCodes.malformed();
      }
      return new Proof(withCode, code);
    }

    String method() {
      return totp ? TotpFactor.METHOD : RecoveryCodeFactor.METHOD;
    }
  }

  /**
   * Spends the proof's code in {@code tx} (401 {@code invalid_code} when wrong, used or replayed). With a
   * {@code client}, a spent recovery code also gets its own event, telling how many are left.
   */
  private Future<Void> check(SqlClient tx, UUID user, Proof proof, ClientInfo client) {
    if (proof.totp()) {
      return credentials.use(tx, user, proof.code()).mapEmpty();
    }
    return recoveryCodes.spend(tx, user, proof.code()).compose(remaining -> client == null
        ? Future.<Void>succeededFuture()
        : events.record(tx, user, RecoveryCodeFactor.USED, client, new JsonObject().put("remaining", remaining)));
  }

  /** 2FA is on, so a change to it needs the current factor: the web app then asks for a code. */
  public static Problem currentFactorRequired() {
    return Problem.forbidden("current_factor_required",
        "Enter a code from your current authenticator app, or a recovery code, to change it.")
        .with("allowed", ALLOWED);
  }

  private Future<Account> account(UUID user) {
    return accounts.byId(user).compose(found -> found.isPresent() ? Future.succeededFuture(found.get())
        : Future.failedFuture(Problem.notSignedIn()));
  }

  public static Problem notEnabled() {
    return Problem.conflict("two_factor_not_enabled", "Two-factor authentication is not on for this account.");
  }
}
