package dev.gatehouse.sso;

import dev.gatehouse.signin.SsoPolicy;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

import java.util.Optional;
import java.util.UUID;

/**
 * "Your organisation signs in through its identity provider": asked by the password step once the
 * password checked out. Members of an organisation with SSO on, and anyone with an email at one of
 * its verified domains, are sent to its provider; its owners keep their password and 2FA as the
 * way back in should the provider break. A browser in which an SSO identity waits to be linked to
 * this very account may use the password: that is how the account proves itself.
 */
public final class OrganisationSsoPolicy implements SsoPolicy {

  private final Organisations organisations;
  private final SsoIdentities identities;
  private final SsoLinks links;

  public OrganisationSsoPolicy(Organisations organisations, SsoIdentities identities, SsoLinks links) {
    this.organisations = organisations;
    this.identities = identities;
    this.links = links;
  }

  @Override
  public Future<Optional<String>> requiredFor(RoutingContext ctx, UUID userId) {
    if (links.waitingFor(ctx, userId)) {
      return Future.succeededFuture(Optional.empty());
    }
    return organisations.ssoRequiredFor(userId)
        .map(found -> found.map(required -> SsoSignIn.startUrl(required.slug(), required.email())));
  }

  /** An account without a password confirms it's them at the provider that holds its identity (docs/security.md 25). */
  @Override
  public Future<Optional<String>> reauthenticationUrl(UUID userId) {
    return identities.reauthenticatesAt(userId).map(slug -> slug.map(SsoReauthentication::startUrl));
  }
}
