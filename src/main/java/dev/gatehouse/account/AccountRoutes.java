package dev.gatehouse.account;

import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.db.Database;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.session.OtherSessions;
import dev.gatehouse.session.SessionUser;
import dev.gatehouse.throttle.SudoGuard;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/** Sign-up, the signed-in user's profile, changing the password and the security log. */
public final class AccountRoutes implements RouteModule {

  public static final String PASSWORD_CHANGED = "password.changed";

  private static final int MAX_NAME = 100;
  private static final int PAGE_SIZE = 50;

  private final Pool pool;
  private final Accounts accounts;
  private final PasswordHasher hasher;
  private final PasswordPolicy policy;
  private final SecurityEvents events;
  private final List<ProfileSection> sections;
  private final SudoGuard sudoGuard;
  private final Clock clock;

  public AccountRoutes(Pool pool, Accounts accounts, PasswordHasher hasher, PasswordPolicy policy, SecurityEvents events,
                       List<ProfileSection> sections, SudoGuard sudoGuard, Clock clock) {
    this.pool = pool;
    this.sudoGuard = sudoGuard;
    this.accounts = accounts;
    this.hasher = hasher;
    this.policy = policy;
    this.events = events;
    this.sections = sections;
    this.clock = clock;
  }

  @Override
  public void mount(Router router) {
    router.post("/api/accounts").handler(this::signUp);
    router.route("/api/me").handler(SessionUser.required(clock));
    router.route("/api/me/*").handler(SessionUser.required(clock));
    router.get("/api/me").handler(this::profile);
    router.put("/api/me/password").handler(this::changePassword);
    router.get("/api/me/security-events").handler(this::securityEvents);
  }

  private void signUp(RoutingContext ctx) {
    JsonBody body = JsonBody.read(ctx, "email", "password", "name");
    String email = Accounts.normaliseEmail(body.requiredString("email", 1024))
        .orElseThrow(() -> Problem.invalidField("email", "Enter a valid email address."));
    String password = body.requiredString("password", 4096);
    String name = body.optionalString("name", 1024);
    name = name == null || name.isBlank() ? email.substring(0, email.indexOf('@')) : name.strip();
    if (name.length() > MAX_NAME || name.chars().anyMatch(Character::isISOControl)) {
      throw Problem.invalidField("name", "Use at most " + MAX_NAME + " printable characters for your name.");
    }
    policy.check(password, email);
    String displayName = name;
    ClientInfo client = ClientInfo.of(ctx);
    hasher.hash(password)
        .compose(hash -> accounts.create(email, displayName, hash))
        .recover(err -> Future.failedFuture(Database.isUniqueViolation(err)
            ? Problem.conflict("email_taken", "An account with this email already exists.").with("field", "email")
            : err))
        .onSuccess(account -> {
          events.recordBestEffort(account.id(), SecurityEvents.SIGNED_UP, client, null);
          ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
              .end(new JsonObject().put("user", account.toJson()).encode());
        })
        .onFailure(ctx::fail);
  }

  private void profile(RoutingContext ctx) {
    UUID user = SessionUser.id(ctx);
    accounts.byId(user).compose(found -> {
          if (found.isEmpty()) {
            return Future.failedFuture(Problem.notSignedIn());
          }
          JsonObject profile = new JsonObject().put("user", found.get().toJson()).putNull("organisation");
          long sudo = SessionUser.sudoUntil(ctx);
          profile.put("sudoUntil", sudo > clock.millis() ? Instant.ofEpochMilli(sudo).toString() : null);
          List<Future<Void>> parts = new ArrayList<>();
          for (ProfileSection section : sections) {
            parts.add(section.addTo(user, profile));
          }
          return Future.all(parts).map(profile);
        })
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  /**
   * A new password (docs/security.md 33): the current one is checked on the sudo budget (a stolen
   * session must not become a guessing oracle), the new one passes the policy and differs from it,
   * and every other session of the account ends in the same transaction (docs/security.md 32).
   */
  private void changePassword(RoutingContext ctx) {
    JsonBody body = JsonBody.read(ctx, "currentPassword", "newPassword");
    String current = body.requiredString("currentPassword", 1024);
    String next = body.requiredString("newPassword", 4096);
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx);
    accounts.byId(user)
        .compose(found -> {
          Account account = found.orElseThrow(Problem::notSignedIn);
          if (account.passwordHash() == null) {
            throw Problem.conflict("no_password", "This account signs in through its organisation and has no password.");
          }
          try {
            policy.check(next, account.email());
          } catch (Problem weak) {
            throw weak.with("field", "newPassword");
          }
          if (next.equals(current)) {
            throw Problem.badRequest("same_password", "Choose a password that differs from your current one.")
                .with("field", "newPassword");
          }
          return sudoGuard.begin(user)
              .compose(charge -> hasher.verify(account.passwordHash(), current)
                  .recover(err -> sudoGuard.abandon(charge).transform(v -> Future.<Boolean>failedFuture(err)))
                  .compose(ok -> sudoGuard.settle(charge, ok, client)))
              .compose(v -> hasher.hash(next))
              .compose(hash -> pool.withTransaction(tx -> accounts.changePassword(tx, user, account.passwordHash(), hash)
                  .compose(changed -> changed ? OtherSessions.end(tx, ctx) : Future.failedFuture(Problem.conflict(
                      "password_changed", "Your password was changed meanwhile. Reload the page and try again.")))
                  .compose(ended -> events.recordIn(tx, user, PASSWORD_CHANGED, client,
                      new JsonObject().put("sessionsEnded", ended)))));
        })
        .onSuccess(v -> ctx.response().setStatusCode(204).putHeader("Cache-Control", "no-store").end())
        .onFailure(ctx::fail);
  }

  private void securityEvents(RoutingContext ctx) {
    Long before = null;
    String param = ctx.queryParams().get("before");
    if (param != null) {
      try {
        before = Long.parseLong(param);
      } catch (NumberFormatException e) {
        throw Problem.invalidField("before", "'before' must be an event id.");
      }
    }
    events.page(SessionUser.id(ctx), before, PAGE_SIZE).onSuccess(ctx::json).onFailure(ctx::fail);
  }
}
