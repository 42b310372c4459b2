package dev.gatehouse.signin;

import io.vertx.core.Future;

import java.util.Optional;
import java.util.UUID;

/**
 * Whether a user must sign in through their organisation's identity provider instead of with a
 * password (the seed: 2FA is not used when SSO is on). Asked only after the password checked out,
 * so the answer reveals membership to nobody who does not know the password.
 */
public interface SsoPolicy {

  /** The URL that starts SSO for this user, when their organisation requires it. */
  Future<Optional<String>> requiredFor(UUID userId);

  /** Where an account without a password re-authenticates for sudo: a fresh sign-in at its provider. */
  default Future<Optional<String>> reauthenticationUrl(UUID userId) {
    return Future.succeededFuture(Optional.empty());
  }

  SsoPolicy NONE = userId -> Future.succeededFuture(Optional.empty());
}
