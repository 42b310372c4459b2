package dev.gatehouse.attacks;

import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.HttpCookie;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.gatehouse.factor.totp.TwoFactorUser.secondStep;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 12, item 6 (docs/security.md 39): ten wrong passwords from anywhere block the account's
 * password budget, renewable for ever at ten an hour; without device cookies the owner's right
 * password met 429 too. The owner's usual browser (one that completed a sign-in for the account)
 * now goes on a budget of its own while strangers get 429.
 */
class LockoutAttacksTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  static final String DEVICE = "gatehouse-device";
  // Every browser here is 127.0.0.1: the per-address budget is raised out of the way.
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new JsonObject().put("GATEHOUSE_PASSWORD_ADDRESS_LIMIT", 1000), CLOCK);

  @AfterEach
  void realTime() {
    CLOCK.set(Instant.now());
  }

  @Test
  void strangers_guessing_the_password_do_not_lock_the_owner_out_of_their_usual_browser() {
    TwoFactorUser owner = TwoFactorUser.enrolled(server, CLOCK);
    // The owner's usual browser: it completed a sign-in (password and code) before.
    Browser usual = server.browser();
    assertEquals(200, usual.signIn(owner.email, TwoFactorUser.PASSWORD).status());
    assertEquals(200, secondStep(usual, "code", owner.code()).status());
    owner.nextStep();
    assertEquals(204, usual.delete("/api/session").status());

    List<Integer> guesses = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      guesses.add(server.browser().signIn(owner.email, "guess number " + i).status());
    }
    assertEquals(429, guesses.get(9), "the account's budget is used up: " + guesses);
    assertEquals(429, server.browser().signIn(owner.email, TwoFactorUser.PASSWORD).status(),
        "a browser the account never signed in from waits, even with the right password");

    Response owners = usual.signIn(owner.email, TwoFactorUser.PASSWORD);
    assertEquals(200, owners.status(), "the owner's usual browser still signs in: " + owners);
    assertEquals("two_factor_required", owners.json().getString("state"), "and still owes the second step");
    assertEquals(200, secondStep(usual, "code", owner.code()).status());
    owner.nextStep();
    assertEquals(owner.email, usual.get("/api/me").json().getJsonObject("user").getString("email"));

    assertEquals(429, server.browser().signIn(owner.email, TwoFactorUser.PASSWORD).status(),
        "the owner's sign-in did not lift the strangers' block");
  }

  @Test
  void a_device_cookie_is_good_for_its_own_account_only_and_cannot_be_forged() {
    TwoFactorUser victim = TwoFactorUser.signedIn(server, CLOCK);
    TwoFactorUser attacker = TwoFactorUser.signedIn(server, CLOCK);
    for (int i = 0; i < 10; i++) {
      server.browser().signIn(victim.email, "guess number " + i);
    }
    // The attacker's own browser holds a genuine device cookie, for the attacker's own account.
    Browser own = server.browser();
    assertEquals(200, own.signIn(attacker.email, TwoFactorUser.PASSWORD).status());
    String genuine = own.cookie(DEVICE).orElseThrow();
    assertFalse(genuine.contains(attacker.email), "the cookie names its account without showing the address");
    assertEquals(429, own.signIn(victim.email, TwoFactorUser.PASSWORD).status(), "not a device of the victim's");

    Browser forged = server.browser();
    String nonce = genuine.substring(0, genuine.indexOf('.'));
    String signature = genuine.substring(genuine.indexOf('.') + 1);
    for (String cookie : List.of(nonce + "." + new StringBuilder(signature).reverse(), "AAAAAAAAAAAAAAAAAAAAAA." + signature,
        genuine + "~" + genuine, "x")) {
      forged.setCookie(DEVICE, cookie);
      assertEquals(429, forged.signIn(victim.email, TwoFactorUser.PASSWORD).status(), cookie);
    }
  }

  @Test
  void the_owners_browser_has_a_budget_of_its_own_so_a_stolen_cookie_is_no_way_around_guessing() {
    TwoFactorUser owner = TwoFactorUser.signedIn(server, CLOCK);
    Browser usual = owner.browser;
    assertTrue(usual.cookie(DEVICE).isPresent());
    for (int i = 0; i < 10; i++) {
      server.browser().signIn(owner.email, "guess number " + i);
    }
    List<Integer> statuses = new ArrayList<>();
    for (int i = 0; i < 11; i++) {
      statuses.add(usual.signIn(owner.email, "typo " + i).status());
    }
    assertEquals(401, statuses.get(0), statuses.toString());
    assertEquals(429, statuses.get(9), "ten wrong ones use the device's budget up too: " + statuses);
    assertEquals(429, usual.signIn(owner.email, TwoFactorUser.PASSWORD).status());
  }

  @Test
  void the_device_cookie_is_http_only_and_strict() {
    TwoFactorUser owner = TwoFactorUser.signedIn(server, CLOCK);
    Response signIn = owner.browser.signIn(owner.email, TwoFactorUser.PASSWORD);
    String header = signIn.headers("Set-Cookie").stream().filter(c -> c.startsWith(DEVICE + "=")).findFirst()
        .orElseThrow();
    HttpCookie cookie = HttpCookie.parse(header).get(0);
    assertTrue(cookie.isHttpOnly(), header);
    assertTrue(header.contains("SameSite=Strict"), header);
    assertTrue(cookie.getMaxAge() > 0, "kept across browser restarts: " + header);
  }
}
