package dev.gatehouse.attacks;

import dev.gatehouse.support.Race;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.ServerFixture;
import dev.gatehouse.support.TestServer;
import dev.gatehouse.factor.totp.TwoFactorUser;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static dev.gatehouse.factor.totp.TwoFactorUser.secondStep;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Codes used twice: replayed from another browser, or raced in parallel. The budgets are raised on
 * this server so that the single-use guards in SQL are what is proven, not the budgets.
 */
class CodeRaceAttacksTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(TestServer.roomForRaces(), CLOCK);

  @Test
  void a_captured_code_replayed_from_a_second_browser_is_refused() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser owner = user.pending();
    Browser attacker = user.pending(); // the attacker knows the password too
    String code = user.code();
    assertEquals(200, secondStep(owner, "code", code).status());
    Response replay = secondStep(attacker, "code", code);
    assertEquals(401, replay.status(), replay.toString());
    assertEquals("invalid_code", replay.code());
    assertEquals(401, attacker.get("/api/me").status());
  }

  @Test
  void twenty_parallel_posts_of_one_code_give_exactly_one_success() throws Exception {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    List<Browser> browsers = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      browsers.add(user.pending());
    }
    String code = user.code();
    List<Integer> statuses = Race.of(browsers, b -> secondStep(b, "code", code).status());
    assertEquals(1, Collections.frequency(statuses, 200), statuses.toString());
    assertEquals(19, Collections.frequency(statuses, 401), statuses.toString());
  }

  @Test
  void fifty_parallel_uses_of_one_recovery_code_give_exactly_one_success() throws Exception {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    List<Browser> browsers = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      browsers.add(user.pending());
    }
    String code = user.recoveryCodes.get(3);
    List<Response> answers = new ArrayList<>();
    List<Integer> statuses = Race.of(browsers, b -> {
      Response r = secondStep(b, "recoveryCode", code);
      synchronized (answers) {
        answers.add(r);
      }
      return r.status();
    });
    assertEquals(1, Collections.frequency(statuses, 200), statuses.toString());
    assertEquals(49, Collections.frequency(statuses, 401), statuses.toString());
    int remaining = answers.stream().filter(r -> r.status() == 200).findFirst().orElseThrow()
        .json().getInteger("recoveryCodesRemaining");
    assertEquals(9, remaining);
    Browser signedIn = browsers.get(statuses.indexOf(200));
    assertEquals(9, signedIn.get("/api/me").json().getJsonObject("twoFactor").getInteger("recoveryCodesRemaining"));
  }
}
