package dev.gatehouse.signin;

import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

import java.util.Optional;
import java.util.UUID;

/**
 * Whether a user must sign in through their organisation's identity provider instead of with a
 * password (the seed: 2FA is not used when SSO is on). Asked only after the password checked out,
 * so the answer reveals membership to nobody who does not know the password. The request is there
 * so that a browser completing an SSO link for this very account may use its password.
 */
public interface SsoPolicy {

  /** The URL that starts SSO for this user, when their organisation requires it. */
  Future<Optional<String>> requiredFor(RoutingContext ctx, UUID userId);

  /** Where an account without a password re-authenticates for sudo: a fresh sign-in at its provider. */
  default Future<Optional<String>> reauthenticationUrl(UUID userId) {
    return Future.succeededFuture(Optional.empty());
  }

  SsoPolicy NONE = (ctx, userId) -> Future.succeededFuture(Optional.empty());
}
