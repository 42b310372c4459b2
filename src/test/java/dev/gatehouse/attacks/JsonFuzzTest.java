package dev.gatehouse.attacks;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import dev.gatehouse.factor.totp.TwoFactorUser;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.io.ByteArrayOutputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Thousands of generated and mutated bodies to every POST, PUT and DELETE route (domain
 * verification aside: it asks DNS), each in the session
 * state that lets its body be read (anonymous, pending, signed in with sudo): wrong types, huge
 * strings, deep nesting, invalid UTF-8, duplicate keys, unicode oddities, wrong content types.
 * Every answer is below 500, every refusal a problem document without a stack trace, and a body
 * refused as bad input (400, 413, 415) leaves every table exactly as it was.
 *
 * <p>Seeded: a failure names its seed and case number; {@code -Dfuzz.seed=N} replays a run.
 */
class JsonFuzzTest {

  static final long SEED = Long.getLong("fuzz.seed", 20261129L);
  static final int CASES_PER_ROUTE = Integer.getInteger("fuzz.cases", 180);
  static final String[] TABLES = {"users", "security_events", "attempt_budgets", "totp_credentials", "totp_setups",
      "recovery_codes", "organisations", "organisation_domains", "organisation_members"};

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject(), CLOCK);
  static TwoFactorUser user;
  static Browser pending;

  @BeforeAll
  static void enrol() {
    user = TwoFactorUser.enrolled(server, CLOCK);
    pending = user.pending();
    assertEquals(201, user.browser.post("/api/orgs", new JsonObject().put("name", "Fuzz").put("slug", "fuzz"))
        .status());
    assertEquals(201, user.browser.post("/api/orgs/fuzz/domains", new JsonObject().put("domain", "fuzz.example"))
        .status());
  }

  /** A route, the fields its body may have, and the browser (session state) to send it from. */
  record Route(String method, String path, List<String> fields, Supplier<Browser> browser) {
  }

  final Random random = new Random(SEED);
  final Map<Integer, Integer> statuses = new TreeMap<>();

  @Test
  void generated_and_mutated_bodies_never_get_a_5xx_and_a_refused_body_changes_nothing() throws Exception {
    Browser anonymous = server.browser();
    List<Route> routes = List.of(
        new Route("POST", "/api/accounts", List.of("email", "password", "name"), () -> anonymous),
        new Route("POST", "/api/session", List.of("email", "password"), () -> anonymous),
        new Route("DELETE", "/api/session", List.of(), () -> anonymous),
        new Route("POST", "/api/session/two-factor", List.of("code", "recoveryCode"), JsonFuzzTest::pendingBrowser),
        new Route("POST", "/api/me/sudo", List.of("password"), () -> user.browser),
        new Route("POST", "/api/me/two-factor/setup", List.of(), () -> user.browser),
        new Route("POST", "/api/me/two-factor/setup/confirm", List.of("code"), () -> user.browser),
        new Route("DELETE", "/api/me/two-factor", List.of("code", "recoveryCode"), () -> user.browser),
        new Route("POST", "/api/me/two-factor/recovery-codes", List.of(), () -> user.browser),
        new Route("POST", "/api/orgs", List.of("name", "slug"), () -> user.browser),
        new Route("PUT", "/api/orgs/fuzz", List.of("name"), () -> user.browser),
        new Route("POST", "/api/orgs/fuzz/domains", List.of("domain"), () -> user.browser),
        new Route("DELETE", "/api/orgs/fuzz/domains/other.example", List.of(), () -> user.browser),
        new Route("POST", "/sso/fuzz/reauthenticate", List.of(), () -> user.browser),
        new Route("DELETE", "/api/me/sessions/" + java.util.UUID.randomUUID(), List.of(), () -> user.browser),
        // Last: wrong current passwords use up the sudo budget the sudo route above needs.
        new Route("PUT", "/api/me/password", List.of("currentPassword", "newPassword"), () -> user.browser));
    long started = System.nanoTime();
    int sent = 0;
    try (Connection db = server.jdbc(); Statement sql = db.createStatement()) {
      for (Route route : routes) {
        for (int i = 0; i < CASES_PER_ROUTE; i++) {
          Body body = body(route.fields());
          String before = settled(sql);
          Response r = send(route.browser().get(), route, body);
          sent++;
          String what = "seed " + SEED + ", " + route.method() + " " + route.path() + " case " + i + ": " + body;
          statuses.merge(r.status(), 1, Integer::sum);
          if (r.status() >= 500) {
            fail(r.status() + " for " + what + " → " + r.body());
          }
          if (r.status() >= 400) {
            assertEquals("application/problem+json", r.header("Content-Type"), what);
            assertFalse(r.body().contains("Exception") || r.body().contains("\tat "), what + " → " + r.body());
          }
          if (r.status() == 400 || r.status() == 413 || r.status() == 415) {
            assertEquals(before, fingerprint(sql), "a refused body changed the database: " + what);
          }
        }
      }
    }
    long seconds = (System.nanoTime() - started) / 1_000_000_000;
    System.out.printf("fuzz: %d requests in %d s, seed %d, statuses %s%n", sent, seconds, SEED, statuses);
    assertTrue(statuses.keySet().stream().allMatch(s -> s < 500));
    assertTrue(statuses.getOrDefault(400, 0) > sent / 2, "most bodies are refused as bad input: " + statuses);
    assertEquals(200, user.browser.get("/api/me").status(), "the fuzzed session is still signed in");
  }

  /** The pending browser, started again whenever the fuzz used up its pending state. */
  static Browser pendingBrowser() {
    return pending;
  }

  private Response send(Browser b, Route route, Body body) {
    Response r;
    if (body.bytes == null) {
      HttpRequest.Builder req = b.request(route.path()).header("X-XSRF-TOKEN", token(b))
          .method(route.method(), HttpRequest.BodyPublishers.noBody());
      r = b.send(req);
    } else {
      HttpRequest.Builder req = b.request(route.path()).header("X-XSRF-TOKEN", token(b))
          .method(route.method(), HttpRequest.BodyPublishers.ofByteArray(body.bytes));
      if (body.contentType != null) {
        req.header("Content-Type", body.contentType);
      }
      r = b.send(req);
    }
    if (b == pending && r.status() == 401 && "two_factor_expired".equals(r.code())) {
      pending = user.pending(); // five wrong codes cleared it: the fuzz goes on in a new one
    }
    return r;
  }

  private static String token(Browser b) {
    if (b.cookie("XSRF-TOKEN").isEmpty()) {
      b.get("/");
    }
    return b.cookie("XSRF-TOKEN").orElse("");
  }

  // ---- bodies ----

  /** What is sent: bytes (null for no body at all), a content type, and a short description for failures. */
  record Body(byte[] bytes, String contentType, String description) {
    @Override
    public String toString() {
      return description;
    }
  }

  private Body body(List<String> fields) {
    int kind = random.nextInt(100);
    if (kind < 40) {
      String json = fieldObject(fields);
      return json(json, "fields " + clip(json));
    }
    if (kind < 55) {
      String json = value(0);
      return json(json, "value " + clip(json));
    }
    if (kind < 62) {
      int depth = 9 + random.nextInt(random.nextBoolean() ? 40 : 6000);
      boolean arrays = random.nextBoolean();
      String json = arrays ? "[".repeat(depth) + "]".repeat(depth)
          : "{\"a\":".repeat(depth) + "1" + "}".repeat(depth);
      if (random.nextBoolean() && !fields.isEmpty()) {
        json = "{\"" + pick(fields) + "\":" + json + "}";
      }
      return json(json, "nesting " + depth);
    }
    if (kind < 80) {
      byte[] bytes = mutate(fieldObject(fields).getBytes(StandardCharsets.UTF_8));
      return new Body(bytes, "application/json", "mutated bytes " + clip(new String(bytes, StandardCharsets.ISO_8859_1)));
    }
    if (kind < 86) {
      String json = "{\"" + (fields.isEmpty() ? "x" : pick(fields)) + "\":\"" + "9".repeat(17_000 + random.nextInt(50_000))
          + "\"}";
      return json(json, "oversized " + json.length() + " bytes");
    }
    if (kind < 92) {
      String json = fieldObject(fields);
      String type = pick(List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
          "application/jsonx", "text/json"));
      return new Body(json.getBytes(StandardCharsets.UTF_8), type, type + " " + clip(json));
    }
    if (kind < 96) {
      String json = fieldObject(fields);
      return new Body(json.getBytes(StandardCharsets.UTF_8), null, "no content type " + clip(json));
    }
    return random.nextBoolean() ? new Body(null, null, "no body") : json("", "empty body");
  }

  private static Body json(String json, String description) {
    return new Body(json.getBytes(StandardCharsets.UTF_8), "application/json", description);
  }

  /** An object with the route's fields (some missing), sometimes an unknown or a duplicated one. */
  private String fieldObject(List<String> fields) {
    List<String> members = new ArrayList<>();
    for (String field : fields) {
      if (random.nextInt(10) < 7) {
        members.add(quote(field) + ":" + fieldValue(field));
      }
    }
    if (random.nextInt(5) == 0) {
      members.add(quote(pick(List.of("userId", "user", "email", "admin", "role", "__proto__", "constructor", "id",
          "code ", "Code", "recovery_code", "\u0000", ""))) + ":" + value(1));
    }
    if (!fields.isEmpty() && random.nextInt(8) == 0) {
      String field = pick(fields);
      members.add(quote(field) + ":" + fieldValue(field));
      members.add(quote(field) + ":" + fieldValue(field));
    }
    java.util.Collections.shuffle(members, random);
    return "{" + String.join(random.nextBoolean() ? "," : " , ", members) + "}";
  }

  /** Mostly plausible values for a field, in every type. */
  private String fieldValue(String field) {
    if (random.nextInt(3) == 0) {
      return value(1);
    }
    return quote(switch (field) {
      case "email" -> pick(List.of(Emails.unique("fuzz"), "a@b", "@example.com", "x".repeat(300) + "@example.com",
          user.email, user.email.toUpperCase(), " " + user.email + " ", "ann\u0000@example.com", "ánn@exämple.com",
          "a@b.c\u202e", oddString()));
      case "slug" -> pick(List.of("acme-" + digits(4), "-bad", "UPPER", "a".repeat(41), "ok", "fuzz", oddString()));
      case "domain" -> pick(List.of("example" + digits(3) + ".com", "localhost", "a..b", "xn--bcher-kva.example",
          "bücher.example", "*.example.com", "exa mple.com", "fuzz.example", oddString()));
      case "password", "name" -> pick(List.of("correct horse battery", "", " ", "short", oddString(),
          "p".repeat(257), "é".repeat(300), "\uD83D\uDE00".repeat(10)));
      case "code" -> pick(List.of(digits(6), digits(5), digits(7), " " + digits(3) + " " + digits(3) + " ",
          "１２３４５６", "١٢٣٤٥٦", "12345x", "000000", "-12345", "1e5", digits(6) + "\u200b", oddString()));
      case "recoveryCode" -> pick(List.of(user.recoveryCodes.get(0).substring(0, 5), "AAAA-BBBB-CCCC-DDDD",
          "aaaa bbbb cccc dddd", "OOOO-IIII-LLLL-0000", "x".repeat(65), oddString(), ""));
      default -> oddString();
    });
  }

  /** Any JSON value, generated as text (so it can hold what a JSON library would never write). */
  private String value(int depth) {
    switch (random.nextInt(depth > 3 ? 9 : 12)) {
      case 0:
        return "null";
      case 1:
        return random.nextBoolean() ? "true" : "false";
      case 2:
        return Integer.toString(random.nextInt());
      case 3:
        return pick(List.of("1e999", "-0", "0.0000000001", "123456789012345678901234567890", "-1E-400", "1.5e308",
            "9223372036854775808", "00012", "+1", ".5", "NaN", "Infinity", "0x10"));
      case 4:
        return Double.toString(random.nextGaussian() * 1e6);
      case 5:
        return quote(digits(1 + random.nextInt(8)));
      case 6:
        return quote(oddString());
      case 7:
        return quote("x".repeat(random.nextInt(3000)));
      case 8:
        return raw(pick(List.of("\"\\ud800\"", "\"\\udfff\\ud800\"", "\"\\u0000\"", "\"\\x41\"", "\"unterminated",
            "'single'", "\"tab\there\"", "\"\\uZZZZ\"")));
      case 9: {
        int n = random.nextInt(5);
        List<String> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          items.add(value(depth + 1));
        }
        return "[" + String.join(",", items) + (random.nextInt(10) == 0 ? ",]" : "]");
      }
      default: {
        int n = random.nextInt(4);
        List<String> members = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          members.add(quote(oddKey()) + ":" + value(depth + 1));
        }
        return "{" + String.join(",", members) + "}";
      }
    }
  }

  private static String raw(String s) {
    return s;
  }

  /** Strings that trip up naive code: direction overrides, zero widths, combining marks, astral characters. */
  private String oddString() {
    return pick(List.of("\u202eevil", "a\u200b\u200cb", "e\u0301\u0301\u0301", "\uD83D\uDCA9", "\uFEFFbom",
        "\u0000nul", "line\nbreak", "back\\slash", "quote\"d", "<script>alert(1)</script>", "' OR 1=1 --",
        "%00%2e%2e/", "${jndi:ldap://x}", "{{7*7}}", "İıſK", "\uFFFF\uFFFE", "ＡＢＣ", "\u3000", "\r\n\t"));
  }

  private String oddKey() {
    return pick(List.of("a", "", "code", "password", "\u0000", "k".repeat(200), "\uD83D\uDD11", "$where",
        "__proto__"));
  }

  /** Byte-level damage to a valid body: invalid UTF-8, flipped bytes, cuts, repeats. */
  private byte[] mutate(byte[] valid) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(valid);
    byte[] bytes = out.toByteArray();
    int kind = random.nextInt(6);
    if (bytes.length == 0) {
      return new byte[] {(byte) 0xFF};
    }
    int at = random.nextInt(bytes.length);
    switch (kind) {
      case 0: { // invalid UTF-8 inside the body
        byte[][] bad = {{(byte) 0xC3, (byte) 0x28}, {(byte) 0xFF}, {(byte) 0xC0, (byte) 0xAF}, {(byte) 0x80},
            {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80},
            {(byte) 0xE2, (byte) 0x82}};
        byte[] insert = bad[random.nextInt(bad.length)];
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(bytes, 0, at);
        o.writeBytes(insert);
        o.write(bytes, at, bytes.length - at);
        return o.toByteArray();
      }
      case 1: // flip one byte
        bytes[at] = (byte) (bytes[at] ^ (1 << random.nextInt(8)));
        return bytes;
      case 2: // cut short
        return java.util.Arrays.copyOf(bytes, at);
      case 3: { // a repeated stretch
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(bytes, 0, at);
        o.write(bytes, 0, bytes.length);
        return o.toByteArray();
      }
      case 4: // a UTF-16 body labelled as JSON
        return new String(bytes, StandardCharsets.UTF_8).getBytes(StandardCharsets.UTF_16);
      default: { // trailing garbage
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(bytes);
        o.writeBytes(pick(List.of("{}", "]", "\u0000", " // comment", ",")).getBytes(StandardCharsets.UTF_8));
        return o.toByteArray();
      }
    }
  }

  private String digits(int n) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < n; i++) {
      s.append((char) ('0' + random.nextInt(10)));
    }
    return s.toString();
  }

  private <T> T pick(List<T> options) {
    return options.get(random.nextInt(options.size()));
  }

  private static String quote(String s) {
    return new io.vertx.core.json.JsonArray().add(s).encode().replaceAll("^\\[|\\]$", "");
  }

  private static String clip(String s) {
    return s.length() > 120 ? s.substring(0, 120) + "…(" + s.length() + ")" : s;
  }

  // ---- the database ----

  /**
   * The fingerprint once the server has stopped writing: the answer to an earlier request may go
   * out before that request's security event lands, so wait for no other session to be busy in the
   * database and for two equal readings in a row.
   */
  private static String settled(Statement sql) throws Exception {
    String last = fingerprint(sql);
    for (int i = 0; i < 500; i++) {
      Thread.sleep(1);
      String now = fingerprint(sql);
      if (now.equals(last) && busy(sql) == 0) {
        return now;
      }
      last = now;
    }
    return last;
  }

  private static int busy(Statement sql) throws Exception {
    try (ResultSet rs = sql.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        + "AND pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  /** Row count and an order-independent hash of every row of every table. */
  private static String fingerprint(Statement sql) throws Exception {
    StringBuilder query = new StringBuilder("SELECT ");
    for (int i = 0; i < TABLES.length; i++) {
      query.append(i == 0 ? "" : " || ',' || ").append("(SELECT count(*) || ':' || coalesce(sum(hashtext(t::text)), 0) FROM ")
          .append(TABLES[i]).append(" t)");
    }
    try (ResultSet rs = sql.executeQuery(query.toString())) {
      rs.next();
      return rs.getString(1);
    }
  }
}
