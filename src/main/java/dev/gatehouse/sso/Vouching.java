package dev.gatehouse.sso;

import dev.gatehouse.account.Accounts;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;

import java.time.Clock;
import java.util.Optional;

/**
 * What an organisation's provider says at a callback, checked the same way for a sign-in and for a
 * re-authentication: the code exchanged with our PKCE verifier, the ID token checked in full
 * ({@link IdTokenCheck}), and the person it vouches for, a verified email at one of the
 * organisation's verified domains. Binds nobody and signs nobody in: that is the caller's.
 */
final class Vouching {

  /** Whom the provider vouched for, and the ID token's claims (for what a caller checks beyond). */
  record Answer(SsoIdentities.Vouched who, JsonObject claims) {
  }

  private final Organisations organisations;
  private final IdentityProviders providers;
  private final String publicUrl;
  private final Clock clock;

  Vouching(Organisations organisations, IdentityProviders providers, String publicUrl, Clock clock) {
    this.organisations = organisations;
    this.providers = providers;
    this.publicUrl = publicUrl;
    this.clock = clock;
  }

  Future<Answer> check(Organisation org, String code, SsoFlow flow) {
    return providers.of(org)
        .compose(provider -> exchange(provider, org, code, flow)
            .compose(claims -> member(org, claims).map(person -> new Answer(new SsoIdentities.Vouched(org.id(),
                provider.issuer(), (String) claims.getValue("sub"), person.email(), person.name()), claims))));
  }

  /** Exchanges the code (with our PKCE verifier) for the ID token, and checks it in full. */
  private Future<JsonObject> exchange(IdentityProviders.Provider provider, Organisation org, String code, SsoFlow flow) {
    return providers.exchange(provider, org.id(), code, SsoSignIn.callbackUrl(publicUrl, org.slug()), flow.codeVerifier())
        .recover(err -> {
          if (err instanceof SsoFailure) {
            return Future.failedFuture(err);
          }
          if (IdentityProviders.unreachable(err)) {
            return Future.failedFuture(new SsoFailure(SsoFailure.UNAVAILABLE, "the token endpoint could not be used: "
                + IdentityProviders.describe(err)));
          }
          String message = SsoSignIn.redact(String.valueOf(err.getMessage()), code, flow);
          return Future.failedFuture(new SsoFailure(SsoFailure.EXCHANGE_FAILED, "the provider refused the code: " + message));
        })
        .map(claims -> {
          IdTokenCheck.verify(claims, provider.issuer(), provider.clientId(), flow.nonce(), clock.millis() / 1000);
          return claims;
        });
  }

  /** What the provider says about whom it vouched for: a verified email at one of the organisation's verified domains. */
  private record Person(String email, String name) {
  }

  private Future<Person> member(Organisation org, JsonObject claims) {
    Object raw = claims.getValue("email");
    Optional<String> email = raw instanceof String s ? Accounts.normaliseEmail(s) : Optional.empty();
    if (email.isEmpty()) {
      return Future.failedFuture(new SsoFailure(SsoFailure.EMAIL_UNVERIFIED, "the ID token carries no usable email"));
    }
    if (!IdTokenCheck.emailVerified(claims)) {
      return Future.failedFuture(new SsoFailure(SsoFailure.EMAIL_UNVERIFIED, "the provider does not say the email is verified"));
    }
    Optional<String> domain = EmailDomain.of(email.get());
    if (domain.isEmpty()) {
      return Future.failedFuture(new SsoFailure(SsoFailure.EMAIL_OUTSIDE_DOMAINS, "the email has no usable domain"));
    }
    Person person = new Person(email.get(), SsoSignIn.displayName(claims, email.get()));
    return organisations.hasVerifiedDomain(org.id(), domain.get()).compose(ours -> ours ? Future.succeededFuture(person)
        : Future.failedFuture(new SsoFailure(SsoFailure.EMAIL_OUTSIDE_DOMAINS,
            "the email's domain " + domain.get() + " is not a verified domain of the organisation")));
  }
}
