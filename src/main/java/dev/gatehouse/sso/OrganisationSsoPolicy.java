package dev.gatehouse.sso;

import dev.gatehouse.signin.SsoPolicy;
import io.vertx.core.Future;

import java.util.Optional;
import java.util.UUID;

/**
 * "Your organisation signs in through its identity provider": asked by the password step once the
 * password checked out. Members of an organisation with SSO on, and anyone with an email at one of
 * its verified domains, are sent to its provider; its owners keep their password and 2FA as the
 * way back in should the provider break.
 */
public final class OrganisationSsoPolicy implements SsoPolicy {

  private final Organisations organisations;

  public OrganisationSsoPolicy(Organisations organisations) {
    this.organisations = organisations;
  }

  @Override
  public Future<Optional<String>> requiredFor(UUID userId) {
    return organisations.ssoRequiredFor(userId)
        .map(found -> found.map(required -> SsoSignIn.startUrl(required.slug(), required.email())));
  }
}
