package dev.gatehouse.factor.passkey;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.RunningServer;
import io.vertx.core.json.JsonObject;

/**
 * The places a passkey answer goes, each with the endpoint that hands out its options: the second step
 * after the password, sudo after the password half, and the sign-in without a password. The refusal
 * tests run on each.
 */
enum PasskeyPath {

  SECOND_STEP(PasskeyOptions.SECOND_STEP, "invalid_code", 200) {
    @Override
    Browser browser(RunningServer server, PasskeyUser user) {
      return user.pending();
    }

    @Override
    Response submit(Browser b, Object answer) {
      return b.post("/api/session/two-factor", new JsonObject().put(PasskeyFactor.FIELD, answer));
    }
  },

  SUDO(PasskeyOptions.SUDO, "invalid_code", 204) {
    /** The person's own signed-in browser, with the password half of sudo given. */
    @Override
    Browser browser(RunningServer server, PasskeyUser user) {
      Response half = user.browser.post("/api/me/sudo", new JsonObject().put("password", TwoFactorUser.PASSWORD));
      assertEquals("second_factor_required", half.json().getString("state"), half.toString());
      return user.browser;
    }

    @Override
    Response submit(Browser b, Object answer) {
      return b.post("/api/me/sudo", new JsonObject().put(PasskeyFactor.FIELD, answer));
    }
  },

  PASSWORDLESS(PasswordlessSignInTest.OPTIONS, "invalid_passkey", 200) {
    /** Anyone's browser: the passkey names its account. */
    @Override
    Browser browser(RunningServer server, PasskeyUser user) {
      return server.browser();
    }

    @Override
    Response submit(Browser b, Object answer) {
      return b.post(PasswordlessSignInTest.SIGN_IN, new JsonObject().put(Passwordless.FIELD, answer));
    }
  };

  final String options;
  final String refusal;
  final int success;

  PasskeyPath(String options, String refusal, int success) {
    this.options = options;
    this.refusal = refusal;
    this.success = success;
  }

  /** A browser at the point where this path asks for a passkey. */
  abstract Browser browser(RunningServer server, PasskeyUser user);

  abstract Response submit(Browser b, Object answer);

  /** The request options, as the page gets them. */
  JsonObject options(Browser b) {
    return PasskeyUser.options(b, options);
  }

  /** Options, the authenticator's answer and the submission. */
  Response use(Browser b, EmulatedAuthenticator authenticator) {
    return submit(b, authenticator.get(options(b)));
  }

  void assertAccepted(Response answer) {
    assertEquals(success, answer.status(), this + ": " + answer);
  }

  /** Refused with the path's problem and the passkey's reason. */
  void assertRefused(Response answer, String reason) {
    assertEquals(401, answer.status(), this + ": " + answer);
    assertEquals(refusal, answer.code(), this + ": " + answer);
    assertEquals(reason, answer.json().getString("reason"), this + ": " + answer);
  }
}
