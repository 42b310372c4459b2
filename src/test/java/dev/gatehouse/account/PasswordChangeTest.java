package dev.gatehouse.account;

import dev.gatehouse.sso.SsoKit;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.RunningServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.List;

import static dev.gatehouse.support.SecurityLog.eventTypes;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "Change password" (docs/security.md 33): the current password on the sudo budget, the new one
 * through the password rules and never the old one, and every other session ends (32).
 */
class PasswordChangeTest {

  static final String PASSWORD = "correct horse battery staple";
  static final String NEW_PASSWORD = "a new and longer passphrase";
  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final SsoKit sso = SsoKit.fixture(CLOCK);
  static final RunningServer server = sso.server;

  static String newAccount() {
    String email = Emails.unique("pw");
    assertEquals(201, server.browser().signUp(email, PASSWORD).status());
    return email;
  }

  static Browser signedIn(String email) {
    Browser b = server.browser();
    assertEquals(200, b.signIn(email, PASSWORD).status());
    return b;
  }

  static Response change(Browser b, String current, String next) {
    return b.put("/api/me/password", new JsonObject().put("currentPassword", current).put("newPassword", next));
  }

  @Test
  void a_new_password_replaces_the_old_and_ends_the_other_sessions() {
    String email = newAccount();
    Browser mine = signedIn(email);
    Browser laptop = signedIn(email);
    String before = mine.sessionId();
    assertTrue(mine.get("/api/me").json().getJsonObject("user").getBoolean("passwordSet"));

    Response changed = change(mine, PASSWORD, NEW_PASSWORD);
    assertEquals(204, changed.status(), changed.toString());

    assertEquals(401, laptop.get("/api/me").status(), "the other session ended");
    assertEquals(200, mine.get("/api/me").status(), "this one continues");
    assertNotEquals(before, mine.sessionId(), "under a new id");
    assertEquals(401, server.browser().signIn(email, PASSWORD).status(), "the old password is gone");
    assertEquals(200, server.browser().signIn(email, NEW_PASSWORD).status());
    JsonObject event = mine.get("/api/me/security-events").json().getJsonArray("events").stream()
        .map(JsonObject.class::cast).filter(e -> "password.changed".equals(e.getString("type"))).findFirst().orElseThrow();
    assertEquals(1, event.getJsonObject("details").getInteger("sessionsEnded"));
    assertFalse(event.encode().contains(NEW_PASSWORD) || event.encode().contains(PASSWORD), "no password in the log");
  }

  @Test
  void a_wrong_current_password_changes_nothing_and_draws_on_the_sudo_budget() {
    String email = newAccount();
    Browser thief = signedIn(email); // a stolen session, guessing the password to take the account over
    Browser owner = signedIn(email);
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      statuses.add(change(thief, "guess number " + i, NEW_PASSWORD).status());
    }
    assertEquals(List.of(401, 401, 401, 401, 401, 401, 401, 401, 401, 429), statuses);
    assertEquals(429, change(owner, "one more guess", NEW_PASSWORD).status(), "the budget is the account's, not the session's");
    Response blocked = change(thief, PASSWORD, NEW_PASSWORD);
    assertEquals(429, blocked.status(), "blocked: even the right password waits");
    assertTrue(blocked.header("Retry-After") != null);
    assertEquals(200, owner.get("/api/me").status(), "no session ended");
    assertEquals(200, server.browser().signIn(email, PASSWORD).status(), "the password is unchanged");
    assertTrue(eventTypes(owner).contains("signin.locked"), "the lock is in the security log");
    assertFalse(eventTypes(owner).contains("password.changed"));
  }

  @Test
  void the_new_password_follows_the_rules_and_is_not_the_old_one() {
    String email = newAccount();
    Browser b = signedIn(email);
    Browser laptop = signedIn(email);
    for (String weak : List.of("short", "password123", email, "x".repeat(257))) {
      Response r = change(b, PASSWORD, weak);
      assertEquals(400, r.status(), weak + " -> " + r);
      assertEquals("weak_password", r.code());
      assertEquals("newPassword", r.json().getString("field"));
    }
    Response same = change(b, PASSWORD, PASSWORD);
    assertEquals(400, same.status());
    assertEquals("same_password", same.code());
    // None of that was a guess at the current password: the budget is untouched.
    for (int i = 0; i < 9; i++) {
      assertEquals("weak_password", change(b, "not even checked", "short").code());
    }
    assertEquals(200, laptop.get("/api/me").status(), "nothing ended");
    assertEquals(204, change(b, PASSWORD, NEW_PASSWORD).status());
  }

  @Test
  void malformed_requests_are_refused_and_only_a_signed_in_session_may_ask() {
    String email = newAccount();
    Browser b = signedIn(email);
    for (Object body : List.of(new JsonObject().put("newPassword", NEW_PASSWORD),
        new JsonObject().put("currentPassword", PASSWORD),
        new JsonObject().put("currentPassword", PASSWORD).put("newPassword", 12345678),
        new JsonObject().put("currentPassword", new JsonArray()).put("newPassword", NEW_PASSWORD),
        new JsonObject().put("currentPassword", PASSWORD).put("newPassword", NEW_PASSWORD).put("userId", "x"),
        "{\"currentPassword\": \"a\", \"currentPassword\": \"b\", \"newPassword\": \"c\"}",
        "not json")) {
      Response r = b.put("/api/me/password", body);
      assertEquals(400, r.status(), body + " -> " + r);
    }
    Browser anonymous = server.browser();
    assertEquals(401, change(anonymous, PASSWORD, NEW_PASSWORD).status());
    assertEquals(200, server.browser().signIn(email, PASSWORD).status(), "nothing changed");
  }

  @Test
  void an_account_made_by_sso_has_no_password_to_change() {
    SsoKit.Org org = sso.organisation(true);
    Browser member = server.browser();
    assertEquals(302, sso.signIn(member, org, org.email("erin")).status());
    JsonObject me = member.get("/api/me").json();
    assertFalse(me.getJsonObject("user").getBoolean("passwordSet"), "the web app hides the form");
    Response r = change(member, "anything at all", NEW_PASSWORD);
    assertEquals(409, r.status(), r.toString());
    assertEquals("no_password", r.code());
    assertEquals(401, server.browser().signIn(org.email("erin"), NEW_PASSWORD).status(), "no password was set");
  }
}
