package dev.gatehouse.totp;

import dev.gatehouse.account.Account;
import dev.gatehouse.account.Accounts;
import dev.gatehouse.account.Sudo;
import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.recovery.RecoveryCode;
import dev.gatehouse.recovery.RecoveryCodeFactor;
import dev.gatehouse.recovery.RecoveryCodes;
import dev.gatehouse.signin.SessionUser;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
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

  /** A new pending secret; while 2FA is on this is "re-configure", and the old secret works until confirmation. */
  private void startSetup(RoutingContext ctx) {
    JsonBody.read(ctx);
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx, trustedProxies);
    Future<Account> account = account(user);
    account.compose(found -> credentials.status(pool, user))
        .compose(status -> credentials.startSetup(pool, user).compose(setup -> {
          TotpSecret secret = setup.secret();
          JsonObject body = new JsonObject()
              .put("secret", secret.base32())
              .put("secretGrouped", secret.grouped())
              .put("otpauthUri", KeyUri.of(issuer, account.result().email(), secret))
              .put("qrCodeUrl", QR_PNG)
              .put("qrCodeSvgUrl", QR_SVG)
              .put("expiresAt", setup.expiresAt().toString())
              .put("reconfigure", status.isPresent());
          return events.record(user, SETUP_STARTED, client, new JsonObject().put("reconfigure", status.isPresent()))
              .map(body);
        }))
        .onSuccess(body -> ctx.response().setStatusCode(201).putHeader("Cache-Control", "no-store")
            .putHeader("Content-Type", "application/json").end(body.encode()))
        .onFailure(ctx::fail);
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
    pool.withTransaction(tx -> credentials.confirm(tx, user, code).compose(confirmed -> {
          if (!confirmed.firstTime()) {
            return events.record(tx, user, RECONFIGURED, client, null)
                .map(v -> new JsonObject().put("enabled", true).put("reconfigured", true));
          }
          return recoveryCodes.replaceSet(tx, user).compose(codes -> events.record(tx, user, ENABLED, client,
                  new JsonObject().put("method", TotpFactor.METHOD))
              .map(v -> new JsonObject().put("enabled", true).put("reconfigured", false)
                  .put("recoveryCodes", new JsonArray(codes.stream().map(RecoveryCode::display).toList()))));
        }))
        .onSuccess(response -> ctx.response().putHeader("Cache-Control", "no-store")
            .putHeader("Content-Type", "application/json").end(response.encode()))
        .onFailure(ctx::fail);
  }

  /** Needs a current code or a recovery code besides sudo; the secret, any setup and the codes go together. */
  private void disable(RoutingContext ctx) {
    JsonBody body = JsonBody.read(ctx, "code", "recoveryCode");
    boolean withCode = body.has("code");
    if (withCode == body.has("recoveryCode")) {
      ctx.fail(Problem.badRequest("invalid_field", "Send a code from your app or a recovery code.")
          .with("allowed", List.of("code", "recoveryCode")));
      return;
    }
    String code = withCode ? TotpFactor.codeField(body) : RecoveryCodeFactor.codeField(body);
    if (code == null) {
      ctx.fail(withCode ? TotpCredentials.malformed() : RecoveryCodes.malformed());
      return;
    }
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx, trustedProxies);
    String method = withCode ? TotpFactor.METHOD : RecoveryCodeFactor.METHOD;
    pool.withTransaction(tx -> credentials.status(tx, user).compose(status -> {
          if (status.isEmpty()) {
            return Future.failedFuture(notEnabled());
          }
          Future<?> proof = withCode ? credentials.use(tx, user, code) : recoveryCodes.spend(tx, user, code);
          return proof.compose(v -> credentials.delete(tx, user))
              .compose(v -> recoveryCodes.delete(tx, user))
              .compose(v -> events.record(tx, user, DISABLED, client, new JsonObject().put("method", method)));
        }))
        .onSuccess(v -> ctx.response().setStatusCode(204).putHeader("Cache-Control", "no-store").end())
        .onFailure(ctx::fail);
  }

  private Future<Account> account(UUID user) {
    return accounts.byId(user).compose(found -> found.isPresent() ? Future.succeededFuture(found.get())
        : Future.failedFuture(Problem.notSignedIn()));
  }

  public static Problem notEnabled() {
    return Problem.conflict("two_factor_not_enabled", "Two-factor authentication is not on for this account.");
  }
}
