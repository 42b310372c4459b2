package dev.gatehouse.sso;

import dev.gatehouse.session.Sudo;
import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.crypto.Envelope;
import dev.gatehouse.db.Database;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.session.SessionUser;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.prng.VertxContextPRNG;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;

/**
 * Organisations: a signed-in user creates one and becomes its owner; owners, with sudo, claim and
 * verify email domains and configure and switch on SSO; owners see the members. Everything is
 * keyed by the session's user; a non-member cannot tell an organisation exists (404).
 */
public final class OrganisationRoutes implements RouteModule {

  /** "true" lets owners configure an http:// issuer (a provider on a development machine); https otherwise. */
  public static final String ALLOW_HTTP_ISSUERS = "GATEHOUSE_SSO_ALLOW_HTTP_ISSUERS";

  public static final String CREATED = "organisation.created";
  public static final String JOINED = "organisation.joined";
  public static final String DOMAIN_ADDED = "organisation.domain_added";
  public static final String DOMAIN_VERIFIED = "organisation.domain_verified";
  public static final String DOMAIN_REMOVED = "organisation.domain_removed";
  public static final String SSO_UPDATED = "organisation.sso_updated";

  private static final Logger LOG = LoggerFactory.getLogger(OrganisationRoutes.class);
  static final String PROVIDER_UNUSABLE = "The identity provider cannot be used. Check the issuer URL (its discovery "
      + "document must be at <issuer>/.well-known/openid-configuration, with https endpoints) and that it is a public "
      + "provider Gatehouse can reach.";
  private static final String ORG = "gatehouse.organisation";
  private static final String ROLE = "gatehouse.role";
  private static final int MAX_NAME = 100;
  private static final int MAX_CLIENT_ID = 255;
  private static final int MAX_CLIENT_SECRET = 1024;
  private static final int MAX_ISSUER = 512;

  private final Organisations organisations;
  private final ProviderChanges changes;
  private final IdentityProviders providers;
  private final DomainVerifier domains;
  private final Envelope envelope;
  private final SecurityEvents events;
  private final String publicUrl;
  private final boolean allowHttpIssuers;
  private final List<String> trustedProxies;
  private final Clock clock;

  public OrganisationRoutes(Organisations organisations, ProviderChanges changes, IdentityProviders providers,
                            DomainVerifier domains, Envelope envelope, SecurityEvents events, String publicUrl,
                            boolean allowHttpIssuers, List<String> trustedProxies, Clock clock) {
    this.organisations = organisations;
    this.changes = changes;
    this.providers = providers;
    this.domains = domains;
    this.envelope = envelope;
    this.events = events;
    this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    this.allowHttpIssuers = allowHttpIssuers;
    this.trustedProxies = trustedProxies;
    this.clock = clock;
  }

  @Override
  public void mount(Router router) {
    router.route("/api/orgs").handler(SessionUser.required(clock));
    router.route("/api/orgs/*").handler(SessionUser.required(clock));
    router.post("/api/orgs").handler(this::create);
    router.get("/api/orgs").handler(this::mine);
    router.get("/api/orgs/:slug").handler(member()).handler(this::show);
    router.put("/api/orgs/:slug").handler(owner()).handler(this::rename);
    router.get("/api/orgs/:slug/members").handler(owner()).handler(this::members);
    router.post("/api/orgs/:slug/domains").handler(owner()).handler(Sudo.required(clock)).handler(this::addDomain);
    router.post("/api/orgs/:slug/domains/:domain/verify").handler(owner()).handler(Sudo.required(clock))
        .handler(this::verifyDomain);
    router.delete("/api/orgs/:slug/domains/:domain").handler(owner()).handler(Sudo.required(clock))
        .handler(this::removeDomain);
    router.put("/api/orgs/:slug/sso").handler(owner()).handler(Sudo.required(clock)).handler(this::updateSso);
  }

  private void create(RoutingContext ctx) {
    JsonBody body = JsonBody.read(ctx, "name", "slug");
    String name = name(body.requiredString("name", 1024));
    String slug = body.requiredString("slug", 1024).strip().toLowerCase(Locale.ROOT);
    if (!SsoSignIn.SLUG.matcher(slug).matches()) {
      throw Problem.invalidField("slug", "Use 1 to 40 lower-case letters, digits and hyphens, not starting or ending with a hyphen.");
    }
    UUID user = SessionUser.id(ctx);
    organisations.create(slug, name, user)
        .recover(err -> Future.failedFuture(Database.isUniqueViolation(err)
            ? Problem.conflict("slug_taken", "Another organisation uses this short name.").with("field", "slug") : err))
        .compose(org -> {
          events.recordBestEffort(user, CREATED, client(ctx), new JsonObject().put("organisation", org.name()));
          return view(org, Membership.OWNER);
        })
        .onSuccess(json -> ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json")
            .end(json.encode()))
        .onFailure(ctx::fail);
  }

  private void mine(RoutingContext ctx) {
    organisations.memberships(SessionUser.id(ctx))
        .onSuccess(list -> ctx.json(new JsonObject().put("organisations",
            new JsonArray(list.stream().map(Membership::toJson).toList()))))
        .onFailure(ctx::fail);
  }

  private void show(RoutingContext ctx) {
    view(ctx.get(ORG), ctx.get(ROLE)).onSuccess(ctx::json).onFailure(ctx::fail);
  }

  private void rename(RoutingContext ctx) {
    JsonBody body = JsonBody.read(ctx, "name");
    String name = name(body.requiredString("name", 1024));
    Organisation org = ctx.get(ORG);
    organisations.rename(org.id(), name)
        .compose(v -> organisations.bySlug(org.slug()))
        .compose(renamed -> view(renamed.orElseThrow(Problem::notFound), Membership.OWNER))
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  private void members(RoutingContext ctx) {
    Organisation org = ctx.get(ORG);
    organisations.members(org.id()).onSuccess(list -> ctx.json(new JsonObject().put("members", list))).onFailure(ctx::fail);
  }

  private void addDomain(RoutingContext ctx) {
    JsonBody body = JsonBody.read(ctx, "domain");
    String domain = EmailDomain.normalise(body.requiredString("domain", 300))
        .orElseThrow(() -> Problem.invalidField("domain", "Enter a domain name such as example.com."));
    Organisation org = ctx.get(ORG);
    byte[] token = new byte[16];
    VertxContextPRNG.current(ctx.vertx()).nextBytes(token);
    changes.addDomain(org, domain, HexFormat.of().formatHex(token))
        .compose(added -> added.isPresent() ? Future.succeededFuture(added.get())
            : Future.failedFuture(Problem.conflict("domain_exists", "The organisation already has this domain.")
                .with("field", "domain")))
        .onSuccess(added -> {
          events.recordBestEffort(SessionUser.id(ctx), DOMAIN_ADDED, client(ctx),
              new JsonObject().put("organisation", org.name()).put("domain", domain));
          ctx.response().setStatusCode(201).putHeader("Content-Type", "application/json").end(added.toJson().encode());
        })
        .onFailure(ctx::fail);
  }

  private void verifyDomain(RoutingContext ctx) {
    Organisation org = ctx.get(ORG);
    String domain = EmailDomain.normalise(ctx.pathParam("domain")).orElseThrow(Problem::notFound);
    organisations.domain(org.id(), domain)
        .compose(found -> {
          if (found.isEmpty()) {
            return Future.failedFuture(Problem.notFound());
          }
          if (found.get().verified()) {
            return Future.succeededFuture(found.get());
          }
          return domains.verify(found.get())
              .recover(err -> Future.failedFuture(new Problem(503, "dns_unavailable", "Service unavailable",
                  "DNS did not answer. Try again in a moment.").header("Retry-After", "10")))
              .compose(ok -> ok ? changes.markVerified(org, domain)
                  .recover(err -> Future.failedFuture(Database.isUniqueViolation(err)
                      ? Problem.conflict("domain_taken", "Another organisation has already verified this domain.") : err))
                  .map(marked -> {
                    events.recordBestEffort(SessionUser.id(ctx), DOMAIN_VERIFIED, client(ctx),
                        new JsonObject().put("organisation", org.name()).put("domain", domain));
                    return marked.orElse(found.get());
                  })
                  : Future.failedFuture(Problem.conflict("domain_not_verified", "The TXT record " + found.get().recordName()
                      + " does not hold " + found.get().recordValue() + " yet. DNS changes can take a while to appear.")
                      .with("verification", found.get().toJson().getJsonObject("verification"))));
        })
        .onSuccess(verified -> ctx.json(verified.toJson()))
        .onFailure(ctx::fail);
  }

  private void removeDomain(RoutingContext ctx) {
    Organisation org = ctx.get(ORG);
    String domain = EmailDomain.normalise(ctx.pathParam("domain")).orElseThrow(Problem::notFound);
    organisations.domains(org.id())
        .compose(list -> {
          boolean verified = list.stream().anyMatch(d -> d.domain().equals(domain) && d.verified());
          long verifiedCount = list.stream().filter(OrganisationDomain::verified).count();
          if (org.ssoEnabled() && verified && verifiedCount == 1) {
            return Future.failedFuture(Problem.conflict("last_sso_domain",
                "SSO is on and this is its only verified domain. Switch SSO off first."));
          }
          return changes.removeDomain(org, domain);
        })
        .onSuccess(removed -> {
          if (!removed) {
            ctx.fail(Problem.notFound());
            return;
          }
          events.recordBestEffort(SessionUser.id(ctx), DOMAIN_REMOVED, client(ctx),
              new JsonObject().put("organisation", org.name()).put("domain", domain));
          ctx.response().setStatusCode(204).end();
        })
        .onFailure(ctx::fail);
  }

  /**
   * {@code PUT /api/orgs/{slug}/sso {issuer, clientId, clientSecret?, enabled, carryOverMembers?}}.
   * The secret is kept when omitted and removed when empty; it is sealed before it is stored and
   * never shown again. Switching on needs a verified domain and a provider that answers discovery
   * now. With a new issuer, {@code carryOverMembers: true} lets it take over the members the old one
   * made ({@link SsoIdentities}); every change is told to every member ({@link ProviderChanges}).
   */
  private void updateSso(RoutingContext ctx) {
    JsonBody body = JsonBody.read(ctx, "issuer", "clientId", "clientSecret", "enabled", "carryOverMembers");
    String issuer = issuer(body.requiredString("issuer", MAX_ISSUER));
    String clientId = body.requiredString("clientId", MAX_CLIENT_ID).strip();
    if (clientId.isEmpty() || clientId.chars().anyMatch(Character::isISOControl)) {
      throw Problem.invalidField("clientId", "Enter the client id the provider gave you.");
    }
    String secret = body.optionalString("clientSecret", MAX_CLIENT_SECRET);
    Boolean enabled = body.optionalBoolean("enabled");
    if (enabled == null) {
      throw Problem.invalidField("enabled", "'enabled' is required.");
    }
    boolean carryOver = Boolean.TRUE.equals(body.optionalBoolean("carryOverMembers"));
    Organisation org = ctx.get(ORG);
    String sealed = secret == null ? org.sealedSecret()
        : secret.isEmpty() ? null : envelope.seal(secret, org.secretContext());
    Organisation proposed = new Organisation(org.id(), org.slug(), org.name(), issuer, clientId, sealed, enabled);
    Future<Void> ready = !enabled ? Future.succeededFuture() : organisations.domains(org.id()).compose(list -> {
      if (list.stream().noneMatch(OrganisationDomain::verified)) {
        return Future.failedFuture(Problem.conflict("no_verified_domain",
            "Verify at least one email domain before switching SSO on: members are recognised by it."));
      }
      return providers.probe(proposed)
          .recover(err -> {
            // One answer for every failure, so that the owner cannot map what the server reaches; the log says why.
            LOG.warn("The identity provider for organisation {} is unusable: {}", org.slug(), IdentityProviders.describe(err));
            return Future.failedFuture(new Problem(422, "sso_provider_unusable", "Unprocessable content", PROVIDER_UNUSABLE)
                .with("field", "issuer"));
          })
          .mapEmpty();
    });
    ready.compose(v -> changes.updateSso(org, issuer, clientId, sealed, enabled, carryOver))
        .compose(updated -> {
          providers.evict(org.id());
          events.recordBestEffort(SessionUser.id(ctx), SSO_UPDATED, client(ctx), new JsonObject().put("organisation", org.name())
              .put("enabled", enabled).put("issuer", issuer).put("clientSecretChanged", secret != null));
          return view(updated, Membership.OWNER);
        })
        .onSuccess(ctx::json)
        .onFailure(ctx::fail);
  }

  /** What a member sees of an organisation; owners also see the SSO configuration (never the secret) and DNS records. */
  private Future<JsonObject> view(Organisation org, String role) {
    boolean owner = Membership.OWNER.equals(role);
    return organisations.domains(org.id()).map(list -> {
      JsonObject sso = new JsonObject().put("enabled", org.ssoEnabled()).put("signInUrl", org.startPath());
      if (owner) {
        sso.put("issuer", org.issuer()).put("clientId", org.clientId()).put("clientSecretSet", org.sealedSecret() != null)
            .put("redirectUri", SsoSignIn.callbackUrl(publicUrl, org.slug()));
      }
      JsonArray domainList = new JsonArray();
      for (OrganisationDomain d : list) {
        domainList.add(owner ? d.toJson() : new JsonObject().put("domain", d.domain()).put("verified", d.verified()));
      }
      return new JsonObject().put("slug", org.slug()).put("name", org.name()).put("role", role)
          .put("domains", domainList).put("sso", sso);
    });
  }

  /** Loads the organisation of the path for a member of it; anyone else gets 404. */
  private Handler<RoutingContext> member() {
    return ctx -> load(ctx, false);
  }

  /** As {@link #member()}, and refuses members who are not owners. */
  private Handler<RoutingContext> owner() {
    return ctx -> load(ctx, true);
  }

  private void load(RoutingContext ctx, boolean ownerOnly) {
    String slug = ctx.pathParam("slug");
    if (slug == null || !SsoSignIn.SLUG.matcher(slug).matches()) {
      ctx.fail(Problem.notFound());
      return;
    }
    UUID user = SessionUser.id(ctx);
    organisations.bySlug(slug)
        .compose(org -> org.isEmpty() ? Future.succeededFuture(Optional.<String>empty())
            : organisations.role(org.get().id(), user).onSuccess(role -> ctx.put(ORG, org.get())))
        .onSuccess(role -> {
          if (role.isEmpty()) {
            ctx.fail(Problem.notFound());
          } else if (ownerOnly && !Membership.OWNER.equals(role.get())) {
            ctx.fail(Problem.forbidden("owner_required", "Only the organisation's owners can do this."));
          } else {
            ctx.put(ROLE, role.get());
            ctx.next();
          }
        })
        .onFailure(ctx::fail);
  }

  private String issuer(String input) {
    String issuer = input.strip();
    URI uri;
    try {
      uri = new URI(issuer);
    } catch (URISyntaxException e) {
      throw Problem.invalidField("issuer", "Enter the provider's issuer URL, such as https://login.example.com.");
    }
    boolean https = "https".equals(uri.getScheme());
    boolean http = "http".equals(uri.getScheme()) && allowHttpIssuers;
    if (!(https || http) || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
        || uri.getRawUserInfo() != null) {
      throw Problem.invalidField("issuer", "Enter the provider's issuer URL: https://, with no query or fragment.");
    }
    return issuer;
  }

  private static String name(String input) {
    String name = input.strip();
    if (name.isEmpty() || name.length() > MAX_NAME || name.chars().anyMatch(Character::isISOControl)) {
      throw Problem.invalidField("name", "Use 1 to " + MAX_NAME + " printable characters for the name.");
    }
    return name;
  }

  private ClientInfo client(RoutingContext ctx) {
    return ClientInfo.of(ctx);
  }
}
