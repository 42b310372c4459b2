package dev.gatehouse.web;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.gatehouse.web.Ui.button;
import static dev.gatehouse.web.Ui.heading;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Sign up, sign in, the account page and sign out, in a real browser against the real server. */
class SignInPagesTest extends GatehouseBrowserTest {

  private static final String PASSWORD = "correct horse battery";

  private static String newEmail() {
    return "web-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
  }

  @Test
  void a_person_signs_up_signs_out_and_signs_in_again() {
    String email = newEmail();
    page.navigate("/signup");
    screenshot("sign-up");
    Ui.signUp(page, "Ada Lovelace", email, PASSWORD);
    assertThat(page.getByText(email).first()).isVisible();
    assertThat(page.locator("#two-factor-heading")).containsText("Two-factor authentication");
    assertThat(button(page, "Enable")).isVisible();
    screenshot("account");

    Ui.signOut(page);
    screenshot("signed-out");

    Ui.enterPassword(page, email, PASSWORD);
    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(page.getByText("Ada Lovelace")).isVisible();

    Ui.link(page, "Security log").click();
    assertThat(heading(page, "Security log")).isVisible();
    screenshot("security-log");
    Ui.signOut(page);
  }

  @Test
  void a_wrong_password_is_explained_next_to_the_field() {
    String email = newEmail();
    Ui.signUp(page, "Grace Hopper", email, PASSWORD);
    Ui.signOut(page);

    Ui.enterPassword(page, email, "not the password");
    Locator password = page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true));
    assertThat(page.getByText("Incorrect email or password.")).isVisible();
    assertThat(password).isFocused();
    assertThat(password).hasValue("");
    assertThat(password).hasAttribute("aria-invalid", "true");
    screenshot("wrong-password");

    // An unknown email reads exactly the same: the page gives nothing away.
    Ui.enterPassword(page, newEmail(), PASSWORD);
    assertThat(page.getByText("Incorrect email or password.")).isVisible();
    assertThat(page).hasURL(Pattern.compile("/signin$"));
  }

  @Test
  void sign_up_refuses_a_short_password_before_sending_it() {
    page.navigate("/signup");
    page.getByLabel("Your name").fill("Short");
    page.getByLabel("Email address").fill(newEmail());
    page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill("short");
    button(page, "Create account").click();
    assertThat(page.getByText("Use at least 8 characters.")).isVisible();
    assertThat(page).hasURL(Pattern.compile("/signup$"));
  }

  @Test
  void deep_links_survive_a_reload_and_lead_back_after_sign_in() {
    String email = newEmail();
    Ui.signUp(page, "Alan Turing", email, PASSWORD);
    Ui.signOut(page);

    page.navigate("/account/security-log");
    assertThat(page).hasURL(Pattern.compile("/signin$"));
    assertThat(page.getByText("Please sign in to continue.")).isVisible();
    Ui.enterPassword(page, email, PASSWORD);
    assertThat(page).hasURL(Pattern.compile("/account/security-log$"));

    page.reload();
    assertThat(heading(page, "Security log")).isVisible();
    page.navigate("/account");
    page.reload();
    assertThat(heading(page, "Account and security")).isVisible();

    page.goBack();
    assertThat(page).hasURL(Pattern.compile("/account/security-log$"));
    assertThat(heading(page, "Security log")).isVisible();

    page.navigate("/no/such/page");
    assertThat(heading(page, "Page not found")).isVisible();
  }

  @Test
  void the_pages_work_from_the_keyboard_alone() {
    String email = newEmail();
    Ui.signUp(page, "Keyboard User", email, PASSWORD);
    Ui.signOut(page);
    page.navigate("/signin");
    Locator emailField = page.getByLabel("Email address");
    assertThat(emailField).isFocused();
    page.keyboard().type(email);
    page.keyboard().press("Tab");
    page.keyboard().type(PASSWORD);
    page.keyboard().press("Enter");
    assertThat(page).hasURL(Pattern.compile("/account$"));
    // The address changes before the page has drawn (it asks /api/me first): wait for the heading.
    assertThat(heading(page, "Account and security")).isFocused();
    assertEquals("Account and security", page.evaluate("document.activeElement.textContent"));
  }
}
