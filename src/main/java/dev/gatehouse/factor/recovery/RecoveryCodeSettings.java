package dev.gatehouse.factor.recovery;

import dev.gatehouse.account.Account;
import dev.gatehouse.account.Accounts;
import dev.gatehouse.session.Sudo;
import dev.gatehouse.audit.SecurityEvents;
import dev.gatehouse.factor.Factors;
import dev.gatehouse.http.ClientInfo;
import dev.gatehouse.http.CrossSite;
import dev.gatehouse.http.JsonBody;
import dev.gatehouse.http.Problem;
import dev.gatehouse.http.RouteModule;
import dev.gatehouse.session.OtherSessions;
import dev.gatehouse.session.SessionUser;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.common.template.TemplateEngine;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Recovery codes in the account settings: find them again (the seed promises it), make a new set, and take
 * them away as a text file or a printed page. All of it needs sudo, and none of it may be cached.
 */
public final class RecoveryCodeSettings implements RouteModule {

  public static final String VIEWED = "recovery_codes.viewed";
  public static final String REGENERATED = "recovery_codes.regenerated";
  public static final String DOWNLOADED = "recovery_codes.downloaded";
  public static final String PRINTED = "recovery_codes.printed";

  static final String CODES = "/api/me/two-factor/recovery-codes";
  static final String TEXT = "/account/recovery-codes.txt";
  static final String PRINT = "/account/recovery-codes/print";
  static final String PRINT_CSS = "/account/recovery-codes/print.css";
  static final String PRINT_JS = "/account/recovery-codes/print.js";

  private final Pool pool;
  private final Accounts accounts;
  private final RecoveryCodeStore codes;
  private final Factors factors;
  private final SecurityEvents events;
  private final TemplateEngine templates;
  private final String issuer;
  private final Clock clock;
  private final Buffer printCss = resource("templates/recovery-codes.css");
  private final Buffer printJs = resource("templates/recovery-codes.js");

  public RecoveryCodeSettings(Pool pool, Accounts accounts, RecoveryCodeStore codes, Factors factors,
                              SecurityEvents events, TemplateEngine templates, String issuer, Clock clock) {
    this.pool = pool;
    this.accounts = accounts;
    this.codes = codes;
    this.factors = factors;
    this.events = events;
    this.templates = templates;
    this.issuer = issuer;
    this.clock = clock;
  }

  @Override
  public void mount(Router router) {
    router.get(CODES).handler(SessionUser.required(clock)).handler(Sudo.required(clock)).handler(this::view);
    router.post(CODES).handler(SessionUser.required(clock)).handler(Sudo.required(clock)).handler(this::regenerate);
    router.get(TEXT).handler(CrossSite.refused()).handler(SessionUser.required(clock)).handler(Sudo.required(clock))
        .handler(this::download);
    // The stylesheet and script hold nothing personal; they are separate files because the CSP allows no inline ones.
    router.get(PRINT_CSS).handler(ctx -> asset(ctx, "text/css; charset=utf-8", printCss));
    router.get(PRINT_JS).handler(ctx -> asset(ctx, "text/javascript; charset=utf-8", printJs));
    router.get(PRINT).handler(CrossSite.refused()).handler(SessionUser.required(clock)).handler(Sudo.required(clock))
        .handler(this::print);
  }

  private void view(RoutingContext ctx) {
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx);
    requireTwoFactor(user)
        .compose(v -> codes.list(pool, user))
        .compose(list -> events.recordBestEffort(user, VIEWED, client, null).map(list))
        .onSuccess(list -> json(ctx, 200, setJson(list)))
        .onFailure(ctx::fail);
  }

  /** The old set stops working in the same transaction that makes the new one. */
  private void regenerate(RoutingContext ctx) {
    JsonBody.read(ctx);
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx);
    pool.withTransaction(tx -> Accounts.lockForFactorChange(tx, user)
            .compose(v -> requireTwoFactor(tx, user))
            .compose(v -> codes.replaceSet(tx, user))
            .compose(set -> OtherSessions.end(tx, ctx).compose(ended -> events.recordIn(tx, user, REGENERATED, client,
                new JsonObject().put("sessionsEnded", ended))).map(set)))
        .onSuccess(set -> json(ctx, 201, setJson(set.stream().map(c -> new RecoveryCodeStore.Listed(c, false)).toList())))
        .onFailure(ctx::fail);
  }

  private void download(RoutingContext ctx) {
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx);
    sheet(user)
        .compose(sheet -> events.recordBestEffort(user, DOWNLOADED, client, null).map(sheet))
        .onSuccess(sheet -> ctx.response()
            .putHeader("Content-Type", "text/plain; charset=utf-8")
            .putHeader("Content-Disposition", "attachment; filename=\"" + fileName() + "\"")
            .putHeader("Cache-Control", "no-store")
            .end(sheet.text()))
        .onFailure(ctx::fail);
  }

  private void print(RoutingContext ctx) {
    UUID user = SessionUser.id(ctx);
    ClientInfo client = ClientInfo.of(ctx);
    sheet(user)
        // The first render reads and compiles the template, blocking: keep that off the event loop.
        .compose(sheet -> ctx.vertx().executeBlocking(
            () -> templates.render(sheet.model(), "templates/recovery-codes.hbs"), false).compose(page -> page))
        .compose(page -> events.recordBestEffort(user, PRINTED, client, null).map(page))
        .onSuccess(page -> ctx.response()
            .putHeader("Content-Type", "text/html; charset=utf-8")
            .putHeader("Cache-Control", "no-store")
            .end(page))
        .onFailure(ctx::fail);
  }

  /** What both the text file and the printed page show: the unused codes of the current set. */
  private Future<Sheet> sheet(UUID user) {
    return requireTwoFactor(user)
        .compose(v -> accounts.byId(user))
        .compose(account -> codes.list(pool, user).map(list -> new Sheet(issuer,
            account.map(Account::email).orElseThrow(Problem::notSignedIn), LocalDate.now(clock.withZone(ZoneOffset.UTC)),
            list.stream().filter(c -> !c.used()).map(c -> c.code().display()).toList(),
            (int) list.stream().filter(RecoveryCodeStore.Listed::used).count())));
  }

  private Future<Void> requireTwoFactor(UUID user) {
    return requireTwoFactor(pool, user);
  }

  private Future<Void> requireTwoFactor(SqlClient db, UUID user) {
    return factors.of(db, user).compose(methods -> methods.twoFactorOn()
        ? Future.succeededFuture()
        : Future.failedFuture(Problem.conflict("two_factor_not_enabled",
            "Two-factor authentication is not on for this account, so it has no recovery codes.")));
  }

  private static JsonObject setJson(List<RecoveryCodeStore.Listed> list) {
    JsonArray array = new JsonArray();
    list.forEach(c -> array.add(new JsonObject().put("code", c.code().display()).put("used", c.used())));
    long remaining = list.stream().filter(c -> !c.used()).count();
    return new JsonObject().put("codes", array).put("remaining", remaining)
        .put("low", remaining <= RecoveryCodeStore.LOW);
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json")
        .putHeader("Cache-Control", "no-store").end(body.encode());
  }

  private static void asset(RoutingContext ctx, String type, Buffer content) {
    ctx.response().putHeader("Content-Type", type).putHeader("Cache-Control", "public, max-age=300").end(content);
  }

  private String fileName() {
    String slug = issuer.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    return (slug.isEmpty() ? "gatehouse" : slug) + "-recovery-codes.txt";
  }

  private static Buffer resource(String name) {
    try (InputStream in = RecoveryCodeSettings.class.getClassLoader().getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + name);
      }
      return Buffer.buffer(in.readAllBytes());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The recovery sheet, for the text file and the printed page alike. */
  record Sheet(String issuer, String account, LocalDate date, List<String> codes, int used) {

    String text() {
      StringBuilder out = new StringBuilder();
      out.append(issuer).append(" recovery codes\n")
          .append("Account: ").append(account).append('\n')
          .append("Saved:   ").append(date).append("\n\n")
          .append("Each code signs you in once if you cannot use your authenticator app.\n")
          .append("Keep them somewhere safe, apart from your phone: support cannot restore access.\n\n");
      codes.forEach(code -> out.append(code).append('\n'));
      if (used > 0) {
        out.append('\n').append(used == 1 ? "1 code of this set was already used and is not listed.\n"
            : used + " codes of this set were already used and are not listed.\n");
      }
      return out.toString();
    }

    JsonObject model() {
      return new JsonObject().put("issuer", issuer).put("account", account).put("date", date.toString())
          .put("codes", new JsonArray(codes)).put("used", used).put("usedOne", used == 1);
    }
  }
}
