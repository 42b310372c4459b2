package dev.gatehouse.session;

import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.time.Duration;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A person sees where they are signed in and ends any session, or all but this one (docs/security.md 31). */
class WhereYouAreSignedInTest {

  static final String PASSWORD = "correct horse battery staple";
  static final String FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
  static final String SAFARI_IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
      + "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject(), CLOCK);

  static String newAccount() {
    String email = Emails.unique("where");
    assertEquals(201, server.browser().signUp(email, PASSWORD).status());
    return email;
  }

  static Browser signedIn(String email, String userAgent) {
    Browser b = server.browser().header("User-Agent", userAgent);
    assertEquals(200, b.signIn(email, PASSWORD).status());
    return b;
  }

  static JsonArray sessions(Browser b) {
    Response r = b.get("/api/me/sessions");
    assertEquals(200, r.status(), r.toString());
    assertEquals("no-store", r.header("Cache-Control"));
    return r.json().getJsonArray("sessions");
  }

  static JsonArray events(Browser b, String type) {
    JsonArray all = b.get("/api/me/security-events").json().getJsonArray("events");
    return new JsonArray(all.stream().filter(e -> type.equals(((JsonObject) e).getString("type"))).toList());
  }

  @Test
  void the_list_shows_each_session_newest_first_with_its_device_and_never_a_cookie() {
    String email = newAccount();
    Browser laptop = signedIn(email, FIREFOX);
    CLOCK.advance(Duration.ofSeconds(5));
    Browser phone = signedIn(email, SAFARI_IPHONE);
    JsonArray list = sessions(laptop);
    assertEquals(2, list.size(), list.encodePrettily());
    JsonObject newest = list.getJsonObject(0);
    JsonObject mine = list.getJsonObject(1);
    assertEquals("Safari on iOS", newest.getString("device"));
    assertFalse(newest.getBoolean("current"));
    assertEquals("Firefox on Windows", mine.getString("device"));
    assertTrue(mine.getBoolean("current"), "the asking session is marked");
    for (JsonObject s : List.of(newest, mine)) {
      UUID.fromString(s.getString("id"));
      assertEquals("password", s.getString("method"));
      assertEquals("127.0.0.1", s.getString("address"));
      assertTrue(s.getString("createdAt").endsWith("Z") && s.getString("lastSeenAt").endsWith("Z"), s.encode());
    }
    String everything = list.encode();
    assertFalse(everything.contains(laptop.sessionId()) || everything.contains(phone.sessionId()),
        "no cookie value is ever listed");
    assertTrue(sessions(phone).getJsonObject(0).getBoolean("current"), "each sees itself as current");
  }

  @Test
  void ending_a_session_refuses_it_on_its_very_next_request() {
    String email = newAccount();
    Browser laptop = signedIn(email, FIREFOX);
    Browser phone = signedIn(email, SAFARI_IPHONE);
    String phoneHandle = sessions(laptop).stream().map(JsonObject.class::cast)
        .filter(s -> !s.getBoolean("current")).findFirst().orElseThrow().getString("id");

    Response end = laptop.delete("/api/me/sessions/" + phoneHandle);
    assertEquals(204, end.status(), end.toString());

    Response refused = phone.get("/api/me");
    assertEquals(401, refused.status());
    assertEquals("not_signed_in", refused.code());
    assertEquals(401, phone.post("/api/me/sudo", new JsonObject().put("password", PASSWORD)).status(),
        "even with the password");
    assertEquals(1, sessions(laptop).size());
    assertEquals(404, laptop.delete("/api/me/sessions/" + phoneHandle).status(), "ended once only");

    JsonObject ended = events(laptop, SessionRoutes.ENDED).getJsonObject(0);
    assertEquals(phoneHandle, ended.getJsonObject("details").getString("session"), "which session");
    assertEquals("Safari on iOS", ended.getJsonObject("details").getString("device"));
    assertEquals(sessions(laptop).getJsonObject(0).getString("id"), ended.getJsonObject("details").getString("by"),
        "ended from which session");
    assertEquals(FIREFOX, ended.getString("userAgent"), "who: the browser that asked");
  }

  @Test
  void sign_out_of_all_other_sessions_keeps_only_this_one() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser second = server.browser();
    assertEquals("two_factor_required", second.signIn(user.email, TwoFactorUser.PASSWORD).json().getString("state"));
    user.nextStep();
    assertEquals(200, TwoFactorUser.secondStep(second, "code", user.code()).status());
    Browser halfway = user.pending(); // someone past the password step: they know the password
    assertEquals(2, sessions(user.browser).size(), "a pending sign-in is not a place where one is signed in");

    assertEquals(204, user.browser.delete("/api/me/sessions").status());

    assertEquals(401, second.get("/api/me").status());
    user.nextStep();
    Response step = TwoFactorUser.secondStep(halfway, "code", user.code());
    assertTrue(step.status() == 401 || step.status() == 403, "the pending sign-in ended too: " + step);
    assertEquals(200, user.browser.get("/api/me").status());
    assertEquals(1, sessions(user.browser).size());
    JsonObject details = events(user.browser, SessionRoutes.ENDED).getJsonObject(0).getJsonObject("details");
    assertEquals(2, details.getInteger("count"), details.encode());
    assertEquals(204, user.browser.delete("/api/me/sessions").status(), "nothing left to end is no error");
  }

  @Test
  void ending_the_session_one_is_using_signs_out() {
    String email = newAccount();
    Browser b = signedIn(email, FIREFOX);
    String mine = sessions(b).getJsonObject(0).getString("id");
    assertEquals(204, b.delete("/api/me/sessions/" + mine).status());
    assertNull(b.sessionId(), "the cookie is expired");
    assertEquals(401, b.get("/api/me").status());
    assertEquals(200, b.signIn(email, PASSWORD).status(), "and signing in again works at once");
  }

  @Test
  void nobody_lists_or_ends_sessions_without_being_signed_in() {
    Browser anonymous = server.browser();
    assertEquals(401, anonymous.get("/api/me/sessions").status());
    assertEquals(401, anonymous.delete("/api/me/sessions").status());
    assertEquals(401, anonymous.delete("/api/me/sessions/" + UUID.randomUUID()).status());
  }

  @Test
  void bad_input_is_a_clear_refusal_that_ends_nothing() {
    String email = newAccount();
    Browser laptop = signedIn(email, FIREFOX);
    signedIn(email, SAFARI_IPHONE);
    assertEquals(404, laptop.delete("/api/me/sessions/not-a-handle").status());
    assertEquals("session_not_found", laptop.delete("/api/me/sessions/" + UUID.randomUUID()).code());
    Response unknown = laptop.delete("/api/me/sessions", new JsonObject().put("all", true));
    assertEquals(400, unknown.status());
    assertEquals("unknown_field", unknown.code());
    assertEquals(2, sessions(laptop).size());
  }
}
