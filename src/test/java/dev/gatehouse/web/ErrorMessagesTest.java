package dev.gatehouse.web;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.gatehouse.web.Ui.button;
import static dev.gatehouse.web.Ui.heading;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Request;
import com.microsoft.playwright.Route;
import com.microsoft.playwright.options.AriaRole;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Errors people understand: each refusal the server can give is said in plain words, next to
 * the field it is about, with focus where the person needs it. Refusals the server cannot be
 * made to give on demand here (429, 503) are answered by the browser's network layer instead.
 */
class ErrorMessagesTest extends GatehouseBrowserTest {

  private static final String PASSWORD = "correct horse battery";

  private static String newEmail() {
    return "errors-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
  }

  private Locator codeField() {
    return page.getByLabel("Authentication code", new Page.GetByLabelOptions().setExact(true));
  }

  private static void problem(Route route, int status, String code, Map<String, String> headers) {
    route.fulfill(new Route.FulfillOptions()
        .setStatus(status)
        .setContentType("application/problem+json")
        .setHeaders(headers)
        .setBody("{\"type\":\"about:blank\",\"title\":\"x\",\"status\":" + status + ",\"code\":\"" + code
            + "\",\"detail\":\"x\"}"));
  }

  @Test
  void five_wrong_codes_end_the_sign_in_and_ask_to_start_again() throws InterruptedException {
    String email = newEmail();
    Ui.signUp(page, "Wrong Codes", email, PASSWORD);
    AuthenticatorApp app = Ui.enableTwoFactor(page, PASSWORD);
    Ui.signOut(page);
    Ui.enterPassword(page, email, PASSWORD);
    assertThat(codeField()).isFocused();

    for (int attempt = 1; attempt <= 4; attempt++) {
      codeField().fill(app.wrongCode());
      button(page, "Verify").click();
      assertThat(codeField()).hasValue("");
      assertThat(codeField()).isFocused();
      if (attempt == 2) {
        assertThat(page.getByText("3 tries left before you must start again.")).isVisible();
      }
    }
    assertThat(page.getByText("1 try left before you must start again.")).isVisible();
    screenshot("one-try-left");

    codeField().fill(app.wrongCode());
    button(page, "Verify").click();
    Locator startAgain = Ui.link(page, "Start again");
    assertThat(startAgain).isFocused();
    assertThat(page.getByRole(AriaRole.ALERT)).containsText("Sign in again with your password");
    assertThat(codeField()).isHidden();
    screenshot("start-again");

    startAgain.click();
    Ui.enterPassword(page, email, PASSWORD);
    codeField().fill(app.nextCode());
    button(page, "Verify").click();
    assertThat(heading(page, "Account and security")).isVisible();
  }

  @Test
  void too_many_attempts_say_when_to_try_again() {
    page.route("**/api/session/two-factor", route -> problem(route, 429, "too_many_requests", Map.of("Retry-After", "300")));
    page.navigate("/signin/two-factor");
    codeField().fill("123 456");
    button(page, "Verify").click();
    assertThat(page.getByText("Too many attempts. For your security, try again in 5 minutes.")).isVisible();
    assertThat(button(page, "Verify")).isDisabled();
    assertThat(codeField()).hasAttribute("aria-invalid", "true");
    screenshot("too-many-attempts");
  }

  @Test
  void a_busy_server_asks_to_try_again_in_a_moment_and_keeps_what_was_typed() {
    page.route("**/api/session", route -> problem(route, 503, "overloaded", Map.of("Retry-After", "5")));
    page.navigate("/signin");
    page.getByLabel("Email address").fill("busy@example.com");
    page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill(PASSWORD);
    button(page, "Sign in").click();
    assertThat(page.getByRole(AriaRole.ALERT)).hasText("Gatehouse is very busy right now. Please try again in 5 seconds.");
    assertThat(page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true))).hasValue(PASSWORD);
    screenshot("overloaded");
  }

  @Test
  void an_ended_session_sends_settings_back_to_sign_in_and_returns_after() {
    String email = newEmail();
    Ui.signUp(page, "Session Ends", email, PASSWORD);
    // The session ends on the server side (idle timeout, signed out elsewhere): here, the cookies go.
    context.clearCookies();
    button(page, "Enable").click();
    Locator sudo = Ui.dialog(page, Ui.CONFIRM_ITS_YOU);
    sudo.getByLabel("Password", new Locator.GetByLabelOptions().setExact(true)).fill(PASSWORD);
    sudo.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Confirm").setExact(true)).click();
    assertThat(page).hasURL(Pattern.compile("/signin$"));
    assertThat(page.getByText("Your session has expired. Please sign in again.")).isVisible();
    screenshot("session-expired");
    Ui.enterPassword(page, email, PASSWORD);
    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(heading(page, "Account and security")).isVisible();
  }

  @Test
  void an_sso_member_is_sent_to_the_organisations_sign_in() {
    // The answer is faked so this needs no organisation (SsoPagesTest walks the real one); the
    // server has no "acme", so the start answers sso_not_found, which the page explains.
    page.route("**/api/session", route -> route.fulfill(new Route.FulfillOptions()
        .setStatus(403)
        .setContentType("application/problem+json")
        .setBody("{\"title\":\"Forbidden\",\"status\":403,\"code\":\"sso_required\","
            + "\"detail\":\"x\",\"ssoUrl\":\"/sso/acme/start\"}")));
    page.navigate("/signin");
    page.getByLabel("Email address").fill("member@acme.example");
    page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill(PASSWORD);
    Request start = page.waitForRequest(Pattern.compile(".*/sso/acme/start$"), () -> button(page, "Sign in").click());
    assertEquals("POST", start.method(), "SSO starts with a POST carrying the CSRF token");
    assertEquals(page.context().cookies().stream().filter(c -> c.name.equals("XSRF-TOKEN")).findFirst().orElseThrow().value,
        start.headerValue("x-xsrf-token"));
    assertThat(page.getByText("No organisation signs in with SSO there.")).isVisible();
  }
}
