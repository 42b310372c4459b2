package dev.gatehouse.factor.passkey;

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
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.UUID;

/**
 * The "Passkeys" section of the account settings, server side: add a passkey (options, then what the
 * browser made), list, rename and remove them. Adding and removing need full-strength sudo
 * (docs/security.md 15, 25) and write a security event (17); the first second factor hands out recovery
 * codes ({@link TwoFactor#added}), and removing the last one turns 2FA off only when the request says it
 * knows ({@link TwoFactor#removed}, 48). Adding or removing one ends the account's other sessions, in
 * the same transaction (32). Everything acts on the session's own user.
 */
public final class PasskeySettings implements RouteModule {

  public static final String ADDED = "passkey.added";
  public static final String REMOVED = "passkey.removed";

  static final String PASSKEYS = "/api/me/passkeys";
  static final String REGISTRATION = "/api/me/passkeys/registration";
  static final String ONE = "/api/me/passkeys/:id";
  static final int MAX_NAME = 64;

  private final Pool pool;
  private final Accounts accounts;
  private final PasskeyStore store;
  private final PasskeyCeremony ceremony;
  private final TwoFactor twoFactor;
  private final Factors factors;
  private final SecurityEvents events;
  private final Clock clock;

  public PasskeySettings(Pool pool, Accounts accounts, PasskeyStore store, PasskeyCeremony ceremony,
                         TwoFactor twoFactor, SecurityEvents events, Clock clock) {
    this.pool = pool;
    this.accounts = accounts;
    this.store = store;
    this.ceremony = ceremony;
    this.twoFactor = twoFactor;
    this.factors = twoFactor.factors();
    this.events = events;
    this.clock = clock;
  }

  @Override
  public void mount(Router router) {
    // Guards on every route, not only the shared /api/me/* one, so mounting order cannot open a hole.
    router.post(REGISTRATION).handler(SessionUser.required(clock)).handler(Sudo.required(clock))
        .handler(this::registrationOptions);
    router.post(PASSKEYS).handler(SessionUser.required(clock)).handler(Sudo.required(clock)).handler(this::add);
    router.get(PASSKEYS).handler(SessionUser.required(clock)).handler(this::list);
    router.put(ONE).handler(SessionUser.required(clock)).handler(this::rename);
    router.delete(ONE).handler(SessionUser.required(clock)).handler(Sudo.required(clock)).handler(this::remove);
  }

  /** What {@code navigator.credentials.create()} needs, with a challenge kept server side for 5 minutes. */
  private void registrationOptions(RoutingContext ctx) {
    JsonBody.read(ctx);
    UUID user = SessionUser.id(ctx);
    accounts.byId(user)
        .compose(found -> found.isPresent() ? Future.succeededFuture(found.get())
            : Future.<Account>failedFuture(Problem.notSignedIn()))
        .compose(account -> ceremony.registrationOptions(pool, user, account.email(), account.name()))
        .onSuccess(options -> json(ctx, 200, new JsonObject().put("publicKey", options)))
        .onFailure(ctx::fail);
  }

  /**
   * Verifies what the browser made and stores it under the person's name for it. The first second factor
   * turns 2FA on and answers the recovery codes, as the authenticator app's first confirmation does.
   */
  private void add(RoutingContext ctx) {
    JsonBody body = JsonBody.read(ctx, "name", "credential");
    String name = name(body);
    SubmittedPasskey.Registration submitted = SubmittedPasskey.registration(body.json().getValue("credential"),
        "credential");
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx);
    // Verified before the transaction: no connection or lock is held while the signature is checked.
    ceremony.verifyRegistration(user, submitted)
        .compose(verified -> pool.withTransaction(tx -> Accounts.lockForFactorChange(tx, user)
            .compose(v -> store.userHandle(tx, user))
            .compose(handle -> factors.of(tx, user))
            .compose(before -> ceremony.register(tx, verified, name)
                // A new credential: the account's other sessions end with it, this one goes on under a new id (32).
                .compose(passkey -> OtherSessions.end(tx, ctx).compose(ended -> {
                  JsonObject ending = new JsonObject().put("sessionsEnded", ended);
                  return events.recordIn(tx, user, ADDED, client, ending.copy().put("name", passkey.name())
                          .put("authenticator", passkey.toJson().getString("authenticator")))
                      .compose(v -> twoFactor.added(tx, user, before.twoFactorOn(), PasskeyFactor.METHOD, client,
                          ending))
                      .map(codes -> {
                      JsonObject response = new JsonObject().put("passkey", passkey.toJson()).put("twoFactorEnabled", true);
                      codes.ifPresent(c -> response.put("recoveryCodes", new JsonArray(c)));
                      return response;
                    });
                })))))
        .onSuccess(response -> json(ctx, 201, response))
        .onFailure(ctx::fail);
  }

  private void list(RoutingContext ctx) {
    store.list(pool, SessionUser.id(ctx))
        .onSuccess(passkeys -> json(ctx, 200, new JsonObject()
            .put("passkeys", new JsonArray(passkeys.stream().map(Passkey::toJson).toList()))))
        .onFailure(ctx::fail);
  }

  /** A new name changes nothing about what the passkey can do, so it needs no sudo. */
  private void rename(RoutingContext ctx) {
    String name = name(JsonBody.read(ctx, "name"));
    UUID id = id(ctx);
    store.rename(pool, SessionUser.id(ctx), id, name)
        .compose(renamed -> renamed.map(Future::succeededFuture).orElseGet(() -> Future.failedFuture(notFound())))
        .onSuccess(passkey -> json(ctx, 200, new JsonObject().put("passkey", passkey.toJson())))
        .onFailure(ctx::fail);
  }

  /**
   * Removes a passkey. When no other second factor is left this turns 2FA off and deletes the recovery
   * codes, so it is refused with 409 {@code turns_two_factor_off} unless the body says
   * {@code {"turnOffTwoFactor": true}}; the refusal rolls the removal back.
   */
  private void remove(RoutingContext ctx) {
    boolean confirmed = Boolean.TRUE.equals(JsonBody.read(ctx, TwoFactor.TURN_OFF).optionalBoolean(TwoFactor.TURN_OFF));
    UUID id = id(ctx);
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx);
    // The account is held still first: two removals in parallel cannot each count on the other's (50).
    pool.withTransaction(tx -> Accounts.lockForFactorChange(tx, user)
            .compose(v -> store.delete(tx, user, id))
            .compose(removed -> removed.isEmpty() ? Future.<Void>failedFuture(notFound())
                : twoFactor.removed(tx, user, confirmed, PasskeyFactor.METHOD, client)
                    // Only once the removal stands (a refused one rolls back): the other sessions end (32).
                    .compose(stillOn -> OtherSessions.end(tx, ctx))
                    .compose(ended -> events.recordIn(tx, user, REMOVED, client,
                        new JsonObject().put("name", removed.get()).put("sessionsEnded", ended)))))
        .onSuccess(v -> ctx.response().setStatusCode(204).putHeader("Cache-Control", "no-store").end())
        .onFailure(ctx::fail);
  }

  /** What the person calls the passkey: trimmed, 1 to 64 printable characters. */
  private static String name(JsonBody body) {
    String raw = body.optionalString("name", 1024);
    String name = raw == null ? "" : raw.strip();
    if (name.isEmpty() || name.length() > MAX_NAME || name.chars().anyMatch(Character::isISOControl)) {
      throw Problem.invalidField("name", "Name the passkey in at most " + MAX_NAME
          + " characters, so you can tell it apart (for example \"MacBook Touch ID\").");
    }
    return name;
  }

  /** The passkey named in the path; an id that cannot be one is simply not found. */
  private static UUID id(RoutingContext ctx) {
    try {
      return UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      throw notFound();
    }
  }

  static Problem notFound() {
    return new Problem(404, "passkey_not_found", "Not found", "This account has no such passkey.");
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store").end(body.encode());
  }
}
