package dev.gatehouse.factor;

import dev.gatehouse.account.Accounts;
import dev.gatehouse.account.ProfileSection;
import dev.gatehouse.audit.SecurityEvents;
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
import io.vertx.sqlclient.SqlClient;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Two-factor authentication as a whole: on while the user has any factor that is not only a
 * backup. The first factor added turns it on and hands out recovery codes; turning it off
 * ({@code DELETE /api/me/two-factor}, full-strength sudo) forgets every factor. Also the
 * {@code twoFactor} part of {@code GET /api/me}.
 */
public final class TwoFactor implements RouteModule, ProfileSection {

  public static final String ENABLED = "two_factor.enabled";
  public static final String DISABLED = "two_factor.disabled";
  /** The body member that confirms removing the last second factor, and with it 2FA. */
  public static final String TURN_OFF = "turnOffTwoFactor";

  private final Pool pool;
  private final Factors factors;
  private final BackupCodes backupCodes;
  private final SecurityEvents events;
  private final Clock clock;

  public TwoFactor(Pool pool, Factors factors, BackupCodes backupCodes, SecurityEvents events, Clock clock) {
    this.pool = pool;
    this.factors = factors;
    this.backupCodes = backupCodes;
    this.events = events;
    this.clock = clock;
  }

  public Factors factors() {
    return factors;
  }

  @Override
  public void mount(Router router) {
    router.delete("/api/me/two-factor").handler(SessionUser.required(clock)).handler(Sudo.required(clock))
        .handler(this::disable);
  }

  /**
   * After a factor was added in {@code tx}: when 2FA was off before ({@code wasOn} false), it is on
   * now, recovery codes are handed out and the event says so (with {@code details}, e.g. how many
   * sessions ended). Answers the codes, or empty.
   */
  public Future<Optional<List<String>>> added(SqlClient tx, UUID user, boolean wasOn, String method,
                                              ClientInfo client, JsonObject details) {
    if (wasOn) {
      return Future.succeededFuture(Optional.empty());
    }
    return backupCodes.issue(tx, user)
        .compose(codes -> events.recordIn(tx, user, ENABLED, client, details.copy().put("method", method))
            .map(v -> Optional.of(codes)));
  }

  /**
   * After one of the user's credentials of a factor was removed in {@code tx}: while another factor keeps
   * 2FA on, nothing more. When none is left, 2FA goes off with it, and the backups (recovery codes) too, but
   * only when the request said it knows ({@code confirmed}); otherwise 409 {@code turns_two_factor_off},
   * which rolls the removal back (docs/security.md 48). Answers whether 2FA is still on.
   */
  public Future<Boolean> removed(SqlClient tx, UUID user, boolean confirmed, String method, ClientInfo client) {
    return factors.of(tx, user).compose(methods -> {
      if (methods.twoFactorOn()) {
        return Future.succeededFuture(true);
      }
      if (!confirmed) {
        return Future.failedFuture(turnsTwoFactorOff());
      }
      return removeAll(tx, user)
          .compose(v -> events.recordIn(tx, user, DISABLED, client, new JsonObject().put("removed", method)))
          .map(false);
    });
  }

  private Future<Void> removeAll(SqlClient tx, UUID user) {
    Future<Void> chain = Future.succeededFuture();
    for (Factor<?> factor : factors.all()) {
      chain = chain.compose(v -> factor.removeAll(tx, user));
    }
    return chain;
  }

  /**
   * Turns 2FA off: every factor's credentials and the recovery codes go, and the account's other
   * sessions end (docs/security.md 32), in one transaction.
   */
  private void disable(RoutingContext ctx) {
    JsonBody.read(ctx);
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx);
    pool.withTransaction(tx -> Accounts.lockForFactorChange(tx, user).compose(v -> factors.of(tx, user))
        .compose(methods -> {
          if (!methods.twoFactorOn()) {
            return Future.failedFuture(notEnabled());
          }
          return removeAll(tx, user).compose(v -> OtherSessions.end(tx, ctx))
              .compose(ended -> events.recordIn(tx, user, DISABLED, client, new JsonObject().put("sessionsEnded", ended)));
        }))
        .onSuccess(v -> ctx.response().setStatusCode(204).putHeader("Cache-Control", "no-store").end())
        .onFailure(ctx::fail);
  }

  @Override
  public Future<Void> addTo(UUID user, JsonObject profile) {
    return factors.of(pool, user).compose(methods -> {
      JsonObject twoFactor = new JsonObject().put("enabled", methods.twoFactorOn()).putNull("enabledAt")
          .putNull("reconfiguredAt").put("methods", new JsonArray(methods.usable()))
          .put("recoveryCodesRemaining", 0).put("recoveryCodesLow", false);
      profile.put("twoFactor", twoFactor);
      if (!methods.twoFactorOn()) {
        return Future.succeededFuture();
      }
      List<Future<Void>> parts = new ArrayList<>();
      factors.all().forEach(f -> parts.add(f.describe(pool, user, twoFactor)));
      return Future.all(parts).mapEmpty();
    });
  }

  public static Problem turnsTwoFactorOff() {
    return Problem.conflict("turns_two_factor_off", "This is your last second factor: removing it turns two-factor "
        + "authentication off and deletes your recovery codes. Confirm to remove it anyway.").with("field", TURN_OFF);
  }

  public static Problem notEnabled() {
    return Problem.conflict("two_factor_not_enabled", "Two-factor authentication is not on for this account.");
  }
}
