package dev.gatehouse.factor.totp;

import dev.gatehouse.account.Account;
import dev.gatehouse.account.Accounts;
import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.factor.Factors;
import dev.gatehouse.factor.TwoFactor;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.session.OtherSessions;
import dev.gatehouse.session.SessionUser;
import dev.gatehouse.session.Sudo;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.function.Function;

/**
 * The authenticator app in Account settings: set it up (QR code or setup key), confirm it with a
 * code, re-configure it. Every route needs full-strength sudo (docs/security.md 15, 25) and acts
 * on the session's own user only (16). Turning 2FA off is {@link TwoFactor}'s.
 */
public final class TotpSettings implements RouteModule {

  public static final String SETUP_STARTED = "two_factor.setup_started";
  public static final String RECONFIGURED = "two_factor.reconfigured";
  /** An app added while another factor (a passkey) already had 2FA on. */
  public static final String ADDED = "two_factor.totp_added";

  /** How long a new secret waits for its first code (docs/security.md 16). */
  public static final Duration SETUP_LIFETIME = Duration.ofMinutes(15);

  static final String QR_PNG = "/api/me/two-factor/setup/qr.png";
  static final String QR_SVG = "/api/me/two-factor/setup/qr.svg";

  private final Pool pool;
  private final Accounts accounts;
  private final TotpStore store;
  private final TotpFactor factor;
  private final Factors factors;
  private final TwoFactor twoFactor;
  private final SecurityEvents events;
  private final String issuer;
  private final TotpVerifier verifier;
  private final Clock clock;

  public TotpSettings(Pool pool, Accounts accounts, TotpStore store, TotpFactor factor, TwoFactor twoFactor,
                      SecurityEvents events, String issuer, Clock clock) {
    this.pool = pool;
    this.accounts = accounts;
    this.store = store;
    this.factor = factor;
    this.factors = twoFactor.factors();
    this.twoFactor = twoFactor;
    this.events = events;
    this.issuer = issuer;
    this.verifier = new TotpVerifier(clock);
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
  }

  /**
   * A new pending secret. While an app is confirmed this is "re-configure": the old secret works
   * until the new one is confirmed. Sudo at full strength already proved the current factor.
   */
  private void startSetup(RoutingContext ctx) {
    JsonBody.read(ctx);
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx);
    TotpSecret secret = TotpSecret.generate();
    Instant now = clock.instant();
    Instant expires = now.plus(SETUP_LIFETIME);
    account(user).compose(account -> pool.withTransaction(tx -> store.status(tx, user).compose(status -> {
          boolean reconfigure = status.isPresent();
          return store.saveSetup(tx, user, secret, now, expires, reconfigure)
              .compose(v -> events.recordIn(tx, user, SETUP_STARTED, client,
                  new JsonObject().put("reconfigure", reconfigure)))
              .map(v -> setupBody(account, secret, expires, reconfigure));
        })))
        .onSuccess(body -> ctx.response().setStatusCode(201).putHeader("Cache-Control", "no-store")
            .putHeader("Content-Type", "application/json").end(body.encode()))
        .onFailure(ctx::fail);
  }

  private JsonObject setupBody(Account account, TotpSecret secret, Instant expires, boolean reconfigure) {
    return new JsonObject()
        .put("secret", secret.base32())
        .put("secretGrouped", secret.grouped())
        .put("otpauthUri", KeyUri.of(issuer, account.email(), secret))
        .put("qrCodeUrl", QR_PNG)
        .put("qrCodeSvgUrl", QR_SVG)
        .put("expiresAt", expires.toString())
        .put("reconfigure", reconfigure);
  }

  /** Drawn on a worker thread: ImageIO's first use loads plugins, too slow for an event loop. */
  private void qrCode(RoutingContext ctx, String contentType, Function<QrCode, Buffer> draw) {
    UUID user = SessionUser.id(ctx);
    account(user).compose(found -> store.setupSealed(pool, user, clock.instant()).compose(sealed -> {
          if (sealed.isEmpty()) {
            return Future.failedFuture(noSetup());
          }
          String uri = KeyUri.of(issuer, found.email(), store.open(sealed.get(), user));
          return ctx.vertx().executeBlocking(() -> draw.apply(QrCode.of(uri)), false);
        }))
        .onSuccess(image -> ctx.response().putHeader("Content-Type", contentType)
            .putHeader("Cache-Control", "no-store").end(image))
        .onFailure(ctx::fail);
  }

  /** The first app turns 2FA on (recovery codes handed out, unless a passkey had it on); a later one replaces it. */
  private void confirm(RoutingContext ctx) {
    JsonBody body = JsonBody.read(ctx, TotpFactor.FIELD);
    if (!body.has(TotpFactor.FIELD)) {
      throw TotpFactor.malformed();
    }
    String code = factor.parse(body.json().getValue(TotpFactor.FIELD));
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx);
    Instant now = clock.instant();
    pool.withTransaction(tx -> Accounts.lockForFactorChange(tx, user).compose(v -> factors.of(tx, user))
        .compose(before -> store.setupSealed(tx, user, now)
            .compose(sealed -> {
              if (sealed.isEmpty()) {
                return Future.failedFuture(noSetup());
              }
              TotpCheck check = verifier.verify(store.open(sealed.get(), user).bytes(), code);
              if (!check.accepted()) {
                return Future.failedFuture(TotpFactor.invalidCode());
              }
              return store.takeSetup(tx, user, sealed.get(), now).compose(taken -> taken.isEmpty()
                  ? Future.failedFuture(noSetup())
                  : install(tx, ctx, user, sealed.get(), check.step(), taken.get(), before.twoFactorOn(), client));
            })))
        .onSuccess(response -> ctx.response().putHeader("Cache-Control", "no-store")
            .putHeader("Content-Type", "application/json").end(response.encode()))
        .onFailure(ctx::fail);
  }

  /**
   * The confirmed secret replaces the app's (only for a setup started as a re-configure: any other
   * one racing the first enable fails, and the transaction with it) or becomes the first. The
   * code's step is spent, and the account's other sessions end with the change (docs/security.md 32).
   */
  private Future<JsonObject> install(SqlClient tx, RoutingContext ctx, UUID user, String sealed, long step,
                                     boolean reconfigure, boolean wasOn, ClientInfo client) {
    return store.replaceSecret(tx, user, sealed, step).compose(replaced -> {
      if (replaced && !reconfigure) {
        return Future.failedFuture(noSetup());
      }
      return (replaced ? Future.<Void>succeededFuture() : store.insertSecret(tx, user, sealed, step))
          .compose(v -> OtherSessions.end(tx, ctx))
          .compose(ended -> installed(tx, user, replaced, wasOn, client, new JsonObject().put("sessionsEnded", ended)));
    });
  }

  private Future<JsonObject> installed(SqlClient tx, UUID user, boolean replaced, boolean wasOn, ClientInfo client,
                                       JsonObject details) {
    if (replaced) {
      return events.recordIn(tx, user, RECONFIGURED, client, details)
          .map(v -> new JsonObject().put("enabled", true).put("reconfigured", true));
    }
    return twoFactor.added(tx, user, wasOn, TotpFactor.METHOD, client, details)
        .compose(codes -> (codes.isPresent() ? Future.<Void>succeededFuture()
            : events.recordIn(tx, user, ADDED, client, details))
            .map(v -> {
              JsonObject answer = new JsonObject().put("enabled", true).put("reconfigured", false);
              codes.ifPresent(c -> answer.put("recoveryCodes", new JsonArray(c)));
              return answer;
            }));
  }

  private Future<Account> account(UUID user) {
    return accounts.byId(user).compose(found -> found.isPresent() ? Future.succeededFuture(found.get())
        : Future.failedFuture(Problem.notSignedIn()));
  }

  static Problem noSetup() {
    return new Problem(404, "no_setup_pending", "Not found",
        "There is no two-factor setup waiting for a code, or it expired after 15 minutes. Start again.");
  }
}
