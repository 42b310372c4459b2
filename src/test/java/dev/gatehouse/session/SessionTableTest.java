package dev.gatehouse.session;

import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What the sessions table holds and when it is written (docs/security.md 28-30): nothing for an
 * anonymous visitor, a hash of the id and never the id, nothing on an ordinary request, last-seen
 * about once a minute, and expired rows pruned.
 */
class SessionTableTest {

  static final String PASSWORD = "correct horse battery staple";
  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject(), CLOCK);

  static String newAccount() {
    String email = Emails.unique("table");
    assertEquals(201, server.browser().signUp(email, PASSWORD).status());
    return email;
  }

  static byte[] sha256(String id) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(id.getBytes(StandardCharsets.US_ASCII));
  }

  /** The row's version: any UPDATE of it makes a new one. */
  static String version(String id) throws Exception {
    try (Connection c = server.jdbc();
         PreparedStatement s = c.prepareStatement("SELECT xmin::text, last_seen_at FROM sessions WHERE id_hash = ?")) {
      s.setBytes(1, sha256(id));
      try (ResultSet rs = s.executeQuery()) {
        assertTrue(rs.next(), "the session has a row");
        return rs.getString(1) + " " + rs.getTimestamp(2).toInstant();
      }
    }
  }

  @Test
  void page_views_sign_up_and_a_wrong_password_store_no_session() throws Exception {
    long before = server.count("SELECT count(*) FROM sessions");
    HttpClient plain = HttpClient.newHttpClient();
    for (int i = 0; i < 300; i++) {
      // No cookie at all, as a crawler or a flood would come.
      HttpResponse<Void> page = plain.send(HttpRequest.newBuilder(URI.create(server.baseUrl() + "/signin")).build(),
          HttpResponse.BodyHandlers.discarding());
      assertEquals(200, page.statusCode());
      assertTrue(page.headers().allValues("Set-Cookie").stream().anyMatch(c -> c.startsWith("XSRF-TOKEN=")),
          "every page view still hands out the CSRF token");
      assertTrue(page.headers().allValues("Set-Cookie").stream().noneMatch(c -> c.startsWith("gatehouse=")),
          "and no session cookie");
    }
    Browser visitor = server.browser();
    visitor.get("/signin");
    String email = Emails.unique("anon");
    assertEquals(201, visitor.signUp(email, PASSWORD).status(), "sign-up works with the stateless token");
    assertEquals(401, visitor.signIn(email, "not the password").status());
    assertEquals(401, visitor.get("/api/me").status());
    assertEquals(null, visitor.sessionId(), "the browser holds no session cookie");
    assertEquals(before, server.count("SELECT count(*) FROM sessions"), "no row for any of them");

    assertEquals(200, visitor.signIn(email, PASSWORD).status());
    assertEquals(before + 1, server.count("SELECT count(*) FROM sessions"), "the password step writes the first row");
  }

  @Test
  void the_table_keys_sessions_by_a_hash_and_a_stolen_hash_is_no_cookie() throws Exception {
    String email = newAccount();
    Browser owner = server.browser();
    assertEquals(200, owner.signIn(email, PASSWORD).status());
    String id = owner.sessionId();
    byte[] stored;
    try (Connection c = server.jdbc(); PreparedStatement s = c.prepareStatement(
        "SELECT id_hash, handle::text, data::text FROM sessions WHERE id_hash = ?")) {
      s.setBytes(1, sha256(id));
      try (ResultSet rs = s.executeQuery()) {
        assertTrue(rs.next(), "the row is found by the SHA-256 of the cookie");
        stored = rs.getBytes(1);
        assertNotEquals(id, rs.getString(2), "the handle is not the id");
        assertFalse(rs.getString(3).contains(id), "the data does not hold the id");
      }
    }
    assertArrayEquals(sha256(id), stored);
    try (Connection c = server.jdbc(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT count(*) FROM sessions WHERE encode(id_hash, 'hex') = '" + id
             + "' OR data::text LIKE '%" + id + "%' OR handle::text = '" + id + "'")) {
      rs.next();
      assertEquals(0, rs.getLong(1), "the id is nowhere in the table");
    }
    // A thief with a copy of the table tries the hash as a cookie, in hex and in base64.
    for (String forged : new String[] {HexFormat.of().formatHex(stored),
        java.util.Base64.getEncoder().encodeToString(stored), HexFormat.of().formatHex(stored).substring(0, 32)}) {
      Browser thief = server.browser();
      thief.setCookie("gatehouse", forged);
      assertEquals(401, thief.get("/api/me").status(), forged);
    }
    assertEquals(200, owner.get("/api/me").status());
  }

  @Test
  void an_ordinary_request_writes_nothing_and_last_seen_moves_about_once_a_minute() throws Exception {
    String email = newAccount();
    Browser b = server.browser();
    assertEquals(200, b.signIn(email, PASSWORD).status());
    String id = b.sessionId();
    String first = version(id);
    for (int i = 0; i < 20; i++) {
      assertEquals(200, b.get("/api/me").status());
      assertEquals(200, b.get("/api/me/security-events").status());
    }
    CLOCK.advance(Duration.ofSeconds(50));
    assertEquals(200, b.get("/api/me").status());
    assertEquals(first, version(id), "40 reads within the minute wrote nothing");

    CLOCK.advance(Duration.ofSeconds(11));
    assertEquals(200, b.get("/api/me").status());
    String touched = version(id);
    assertNotEquals(first, touched, "past a minute, last-seen moved on");
    assertEquals(200, b.get("/api/me").status());
    assertEquals(touched, version(id), "and then not again within the minute");
  }

  @Test
  void expired_sessions_are_refused_at_once_and_pruned_by_housekeeping() throws Exception {
    String email = newAccount();
    Browser b = server.browser();
    assertEquals(200, b.signIn(email, PASSWORD).status());
    String id = b.sessionId();
    CLOCK.advance(Duration.ofMinutes(31));
    assertEquals(401, b.get("/api/me").status(), "idle for 31 minutes: refused before any pruning");
    assertEquals(1, server.count("SELECT count(*) FROM sessions WHERE id_hash = sha256('" + id + "'::bytea)"));
    server.app().housekeeping().await(30, TimeUnit.SECONDS);
    assertEquals(0, server.count("SELECT count(*) FROM sessions WHERE id_hash = sha256('" + id + "'::bytea)"),
        "housekeeping deleted the expired row");
  }
}
