package dev.gatehouse.sso;

import dev.gatehouse.account.Accounts;
import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.db.Database;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.metrics.Metrics;
import dev.gatehouse.session.SessionUser;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.auth.prng.VertxContextPRNG;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Signing in through an organisation's OpenID Connect provider: the authorization code flow with
 * state, nonce and PKCE (S256), all kept in the server-side session and used once. A member the
 * provider vouches for (a verified email at one of the organisation's verified domains) is signed
 * in with no second step, even with 2FA on: the seed's "2FA is not used when SSO is enabled"; who
 * that is goes by the provider's subject, never by the email alone ({@link SsoIdentities}). The
 * web app starts with a POST; every failure of the callback sends the browser back to the sign-in
 * page with {@code ?sso_error=code}, signs nobody in, and is logged without the code, token, state
 * or secret.
 */
public final class SsoSignIn implements RouteModule {

  private static final Logger LOG = LoggerFactory.getLogger(SsoSignIn.class);
  /** From start to callback; an abandoned sign-in is worthless after this. */
  static final Duration FLOW_LIFETIME = Duration.ofMinutes(10);
  static final Pattern SLUG = Pattern.compile("^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$");
  private static final String SCOPES = "openid email profile";
  private static final String SIGNED_IN_LANDING = "/account";
  private static final String FAILURE_LANDING = "/signin?sso_error=";
  private static final String SIGNED_IN_FAILURE_LANDING = "/account?sso_error=";
  private static final int MAX_NAME = 100;

  private final Organisations organisations;
  private final SsoIdentities identities;
  private final SsoLinks links;
  private final IdentityProviders providers;
  private final SecurityEvents events;
  private final String publicUrl;
  private final List<String> trustedProxies;
  private final Clock clock;
  private final Metrics metrics;
  private final Vouching vouching;
  private final SsoReauthentication reauthentication;

  public SsoSignIn(Organisations organisations, SsoIdentities identities, SsoLinks links, IdentityProviders providers,
                   Accounts accounts, SecurityEvents events, String publicUrl, List<String> trustedProxies, Clock clock,
                   Metrics metrics) {
    this.organisations = organisations;
    this.identities = identities;
    this.links = links;
    this.providers = providers;
    this.events = events;
    this.publicUrl = publicUrl.endsWith("/") ? publicUrl.substring(0, publicUrl.length() - 1) : publicUrl;
    this.trustedProxies = trustedProxies;
    this.clock = clock;
    this.metrics = metrics;
    this.vouching = new Vouching(organisations, providers, this.publicUrl, clock);
    this.reauthentication = new SsoReauthentication(accounts, identities, vouching, events, clock);
  }

  @Override
  public void mount(Router router) {
    router.post("/sso/:slug/start").handler(this::start);
    router.post("/sso/:slug/reauthenticate").handler(SessionUser.required(clock)).handler(this::reauthenticate);
    router.get("/sso/:slug/start").handler(this::startPage);
    router.get("/sso/:slug/callback").handler(this::callback);
    router.get("/api/sso/discover").handler(this::discover);
  }

  /** The redirect URI to register at the provider for this organisation. */
  static String callbackUrl(String publicUrl, String slug) {
    return publicUrl + "/sso/" + slug + "/callback";
  }

  /** Where the sign-in page starts SSO (with a POST), with the person's email as a hint for the provider. */
  static String startUrl(String slug, String email) {
    String path = "/sso/" + slug + "/start";
    return email == null ? path : path + "?login_hint=" + URLEncoder.encode(email, StandardCharsets.UTF_8);
  }

  /**
   * {@code POST /sso/{slug}/start}: begins a sign-in through the organisation's provider and answers
   * where to send the browser, {@code {location}}. A POST carrying the CSRF token (docs/security.md
   * 37): another site cannot start a sign-in in someone's browser and have it end signed in as
   * whoever that site's provider hands out (login CSRF).
   */
  private void start(RoutingContext ctx) {
    JsonBody.read(ctx);
    Map<String, String> hint = new LinkedHashMap<>();
    Accounts.normaliseEmail(ctx.queryParams().get("login_hint")).ifPresent(email -> hint.put("login_hint", email));
    begin(ctx, org -> Future.succeededFuture(hint), null);
  }

  /** {@code POST /sso/{slug}/reauthenticate}: sudo for an account without a password ({@link SsoReauthentication}). */
  private void reauthenticate(RoutingContext ctx) {
    JsonBody.read(ctx);
    begin(ctx, org -> reauthentication.start(ctx, org), SessionUser.id(ctx));
  }

  /**
   * Starts the authorization code flow at the organisation's provider with state, nonce and PKCE,
   * kept in the session; {@code parameters} adds to the request (a login hint, or what a
   * re-authentication asks for), {@code sudoFor} marks a re-authentication of that account.
   */
  private void begin(RoutingContext ctx, Function<Organisation, Future<Map<String, String>>> parameters, UUID sudoFor) {
    String slug = ctx.pathParam("slug");
    enabledOrganisation(slug)
        .compose(org -> parameters.apply(org).compose(extra -> providers.of(org).map(provider -> {
          SsoFlow flow = new SsoFlow(org.id(), org.slug(), random(ctx, 32), random(ctx, 32), random(ctx, 32),
              clock.millis(), sudoFor);
          Map<String, String> request = new LinkedHashMap<>();
          request.put("response_type", "code");
          request.put("client_id", provider.clientId());
          request.put("redirect_uri", callbackUrl(publicUrl, org.slug()));
          request.put("scope", SCOPES);
          request.put("state", flow.state());
          request.put("nonce", flow.nonce());
          request.put("code_challenge", s256(flow.codeVerifier()));
          request.put("code_challenge_method", "S256");
          request.putAll(extra);
          // One flow at a time per session: starting again replaces (and so cancels) the last one.
          SessionUser.begin(ctx).put(SsoFlow.SESSION_KEY, flow.encode());
          return provider.authorizeUrl(request);
        })))
        .compose(url -> SessionUser.save(ctx).map(url))
        .onSuccess(url -> ctx.response().putHeader("Cache-Control", "no-store")
            .putHeader("Content-Type", "application/json").end(new JsonObject().put("location", url).encode()))
        .onFailure(err -> ctx.fail(refusedStart(slug, err)));
  }

  /** A GET of the start address (an old bookmark, a link from anywhere) starts nothing: the sign-in page offers it. */
  private void startPage(RoutingContext ctx) {
    String slug = ctx.pathParam("slug");
    redirect(ctx, slug != null && SLUG.matcher(slug).matches() ? "/signin?sso=" + slug : "/signin");
  }

  private static Throwable refusedStart(String slug, Throwable err) {
    if (err instanceof Problem) {
      return err;
    }
    if (!(err instanceof SsoFailure failure)) {
      if (!Database.isUnavailable(err)) {
        LOG.error("SSO sign-in via {} could not start", printable(slug, 40), err);
      }
      return err;
    }
    LOG.warn("SSO sign-in via {} refused ({}): {}", printable(slug, 40), failure.code(), failure.getMessage());
    return SsoFailure.NOT_FOUND.equals(failure.code())
        ? new Problem(404, failure.code(), "Not found", "No organisation signs in with SSO there.")
        : new Problem(503, failure.code(), "Service unavailable", "The organisation's identity provider cannot be used "
            + "right now.").header("Retry-After", "10");
  }

  private void callback(RoutingContext ctx) {
    String slug = ctx.pathParam("slug");
    // Taken out before anything else, so that a state, nonce and verifier serve exactly one callback.
    SsoFlow flow = SsoFlow.decode(SessionUser.take(ctx, SsoFlow.SESSION_KEY));
    String state = ctx.queryParams().get("state");
    if (flow == null || !flow.slug().equals(slug) || !IdTokenCheck.constantTimeEquals(state, flow.state())) {
      refuse(ctx, slug, new SsoFailure(SsoFailure.STATE_INVALID, flow == null
          ? "no SSO sign-in was started in this session (or it was already used)"
          : "the state does not match the sign-in started in this session"));
      return;
    }
    if (clock.millis() - flow.startedAt() > FLOW_LIFETIME.toMillis()) {
      refuse(ctx, slug, new SsoFailure(SsoFailure.EXPIRED, "the sign-in took longer than " + FLOW_LIFETIME.toMinutes() + " minutes"));
      return;
    }
    String error = ctx.queryParams().get("error");
    if (error != null) {
      refuse(ctx, slug, new SsoFailure(SsoFailure.DENIED, "the provider answered error=" + printable(error, 40)));
      return;
    }
    String code = ctx.queryParams().get("code");
    if (code == null || code.isEmpty() || code.length() > 4096) {
      refuse(ctx, slug, new SsoFailure(SsoFailure.EXCHANGE_FAILED, "the callback carries no authorization code"));
      return;
    }
    ClientInfo client = ClientInfo.of(ctx);
    enabledOrganisation(slug)
        .compose(org -> {
          if (!org.id().equals(flow.organisation())) {
            return Future.failedFuture(new SsoFailure(SsoFailure.STATE_INVALID, "the organisation changed during sign-in"));
          }
          if (flow.sudoFor() != null) {
            return reauthentication.finish(ctx, org, code, flow, client);
          }
          return vouching.check(org, code, flow)
              .compose(answer -> identities.resolve(answer.who()))
              .compose(outcome -> {
                if (outcome instanceof SsoIdentities.ProveFirst proveFirst) {
                  return links.await(ctx, org, proveFirst, client);
                }
                if (outcome instanceof SsoIdentities.Refused refused) {
                  return Future.failedFuture(new SsoFailure(SsoFailure.ACCOUNT_CONFLICT, refused.reason()));
                }
                SsoIdentities.SignIn signIn = (SsoIdentities.SignIn) outcome;
                SessionUser.signInThroughSso(ctx, signIn.user(), org.id(), clock);
                // Written before the redirect; a session ended meanwhile (signed out elsewhere) fails here.
                return SessionUser.save(ctx)
                    .compose(v -> stillVouched(ctx, org))
                    .compose(v -> record(signIn, org, client)).map(SIGNED_IN_LANDING);
              });
        })
        .onSuccess(landing -> {
          boolean signedIn = SIGNED_IN_LANDING.equals(landing);
          metrics.signIn(Metrics.SSO, signedIn ? Metrics.SIGNED_IN : "link_required");
          if (signedIn) {
            metrics.sessionStarted(Metrics.SSO);
          }
          redirect(ctx, landing);
        })
        .onFailure(err -> refuse(ctx, slug, err));
  }

  /** A callback that signs nobody in: counted by its failure code, then the usual failure landing. */
  private void refuse(RoutingContext ctx, String slug, Throwable err) {
    metrics.signIn(Metrics.SSO, fail(ctx, slug, err));
  }

  /**
   * The organisation's provider may have changed while this sign-in waited for it (a provider can
   * hold its answer back): the change ended the sessions the old provider had made, but not this one,
   * saved afterwards. Asked once it is saved, so that either the change's statement finds the session
   * or this finds the change (docs/security.md 35); then the session ends here.
   */
  private Future<Void> stillVouched(RoutingContext ctx, Organisation org) {
    return organisations.stillUses(org).compose(same -> {
      if (same) {
        return Future.succeededFuture();
      }
      SessionUser.signOut(ctx);
      return Future.failedFuture(new SsoFailure(SsoFailure.PROVIDER_CHANGED,
          "the organisation's provider changed while the sign-in waited for it"));
    });
  }

  /** Writes the security events one after the other, so the log reads in the order things happened. */
  private Future<Void> record(SsoIdentities.SignIn joined, Organisation org, ClientInfo client) {
    JsonObject via = new JsonObject().put("method", "sso").put("organisation", org.name());
    Future<Void> chain = Future.succeededFuture();
    if (joined.accountCreated()) {
      chain = chain.compose(v -> events.recordBestEffort(joined.user(), SecurityEvents.SIGNED_UP, client, via.copy()));
    }
    if (joined.joinedNow()) {
      chain = chain.compose(v -> events.recordBestEffort(joined.user(), OrganisationRoutes.JOINED, client,
          new JsonObject().put("organisation", org.name()).put("role", joined.role())));
    }
    LOG.info("Signed in through the SSO provider of organisation {}{}", org.slug(),
        joined.accountCreated() ? " (new account)" : "");
    return chain.compose(v -> events.recordBestEffort(joined.user(), SecurityEvents.SIGNED_IN, client, via));
  }

  /** {@code GET /api/sso/discover?email=…|slug=…}: answers from domains and slugs only, never from accounts. */
  private void discover(RoutingContext ctx) {
    String emailParam = ctx.queryParams().get("email");
    String slugParam = ctx.queryParams().get("slug");
    Future<Optional<Organisation>> found;
    String hint = null;
    if (emailParam != null && slugParam == null) {
      Optional<String> email = Accounts.normaliseEmail(emailParam);
      Optional<String> domain = email.flatMap(EmailDomain::of);
      if (domain.isEmpty()) {
        throw Problem.invalidField("email", "Enter a valid email address.");
      }
      hint = email.get();
      found = organisations.ssoByDomain(domain.get());
    } else if (slugParam != null && emailParam == null) {
      String slug = slugParam.strip().toLowerCase(java.util.Locale.ROOT);
      found = SLUG.matcher(slug).matches()
          ? organisations.bySlug(slug).map(org -> org.filter(Organisation::ssoEnabled))
          : Future.succeededFuture(Optional.empty());
    } else {
      throw Problem.badRequest("invalid_query", "Give either 'email' or 'slug'.");
    }
    String loginHint = hint;
    found.onSuccess(org -> {
      if (org.isEmpty()) {
        ctx.fail(new Problem(404, "sso_not_found", "Not found", "No organisation signs in with SSO there."));
        return;
      }
      ctx.json(new JsonObject().put("ssoUrl", startUrl(org.get().slug(), loginHint))
          .put("organisation", new JsonObject().put("name", org.get().name()).put("slug", org.get().slug())));
    }).onFailure(ctx::fail);
  }

  private Future<Organisation> enabledOrganisation(String slug) {
    if (slug == null || !SLUG.matcher(slug).matches()) {
      return Future.failedFuture(new SsoFailure(SsoFailure.NOT_FOUND, "no such organisation"));
    }
    return organisations.bySlug(slug).compose(org -> org.isPresent() && org.get().ssoEnabled()
        ? Future.succeededFuture(org.get())
        : Future.failedFuture(new SsoFailure(SsoFailure.NOT_FOUND, "no such organisation, or SSO is off")));
  }

  /** Logs why (never with the code, token, state or secret), lands on the sign-in page; answers the failure code. */
  private String fail(RoutingContext ctx, String slug, Throwable err) {
    String code;
    if (err instanceof SsoFailure failure) {
      code = failure.code();
      LOG.warn("SSO sign-in via {} refused ({}): {}", printable(slug, 40), code, failure.getMessage());
    } else if (Database.isUnavailable(err)) {
      code = "server_unavailable";
      LOG.warn("SSO sign-in via {} failed: database unavailable", printable(slug, 40));
    } else {
      code = SsoFailure.FAILED;
      LOG.error("SSO sign-in via {} failed", printable(slug, 40), err);
    }
    if (!ctx.response().ended()) {
      // Whoever is still signed in here goes back to their account, told why; anyone else to the sign-in page.
      String landing = (SessionUser.signedIn(ctx, clock).isPresent() ? SIGNED_IN_FAILURE_LANDING : FAILURE_LANDING) + code;
      // The flow taken out of the session stays taken on every node before the browser comes back.
      SessionUser.save(ctx).onComplete(v -> redirect(ctx, landing));
    }
    return code;
  }

  private static void redirect(RoutingContext ctx, String location) {
    ctx.response().setStatusCode(302).putHeader("Location", location).putHeader("Cache-Control", "no-store").end();
  }

  /** The provider's {@code name} claim when it is printable and short enough, else the email's local part. */
  static String displayName(JsonObject claims, String email) {
    Object name = claims.getValue("name");
    if (name instanceof String s && !s.isBlank() && s.strip().length() <= MAX_NAME
        && s.chars().noneMatch(Character::isISOControl)) {
      return s.strip();
    }
    return email.substring(0, email.indexOf('@'));
  }

  private static String random(RoutingContext ctx, int bytes) {
    byte[] buffer = new byte[bytes];
    VertxContextPRNG.current(ctx.vertx()).nextBytes(buffer);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(buffer);
  }

  /** The PKCE S256 challenge of a verifier (RFC 7636 4.2). */
  static String s256(String verifier) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(verifier.getBytes(StandardCharsets.US_ASCII));
      return Base64.getUrlEncoder().withoutPadding().encodeToString(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A provider's error text with anything of this sign-in's secrets cut out, clipped for the log. */
  static String redact(String message, String code, SsoFlow flow) {
    String clean = message;
    for (String secret : new String[] {code, flow.state(), flow.nonce(), flow.codeVerifier()}) {
      if (secret != null && !secret.isEmpty()) {
        clean = clean.replace(secret, "[redacted]");
      }
    }
    return printable(clean, 200);
  }

  private static String printable(String text, int max) {
    if (text == null) {
      return "-";
    }
    String clipped = text.length() > max ? text.substring(0, max) + "…" : text;
    return clipped.replaceAll("[\\p{Cntrl}]", "?");
  }
}
