package dev.gatehouse.signin;

import dev.gatehouse.account.Account;
import dev.gatehouse.account.Accounts;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.throttle.DeviceCookies;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.UUID;

/** A completed sign-in gives the browser a device cookie for the account (docs/security.md 39). */
public final class DeviceCookieOnSignIn implements SignInHook {

  private static final Logger LOG = LoggerFactory.getLogger(DeviceCookieOnSignIn.class);

  private final DeviceCookies devices;
  private final Accounts accounts;

  public DeviceCookieOnSignIn(DeviceCookies devices, Accounts accounts) {
    this.devices = devices;
    this.accounts = accounts;
  }

  @Override
  public Future<Void> signedIn(RoutingContext ctx, UUID user, String email, ClientInfo client) {
    if (email != null) {
      devices.issue(ctx, email);
      return Future.succeededFuture();
    }
    return accounts.byId(user).map(account -> {
      account.map(Account::email).ifPresent(found -> devices.issue(ctx, found));
      return (Void) null;
    }).recover(err -> {
      LOG.warn("No device cookie issued: {}", err.toString());
      return Future.succeededFuture();
    });
  }
}
