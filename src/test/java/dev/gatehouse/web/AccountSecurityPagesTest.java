package dev.gatehouse.web;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.gatehouse.web.Ui.button;
import static dev.gatehouse.web.Ui.heading;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The "Sessions" and "Password" sections of Account settings in Chromium: a person sees where they
 * are signed in, signs a lost device out, and changes their password, which signs out the rest.
 */
class AccountSecurityPagesTest extends GatehouseBrowserTest {

  private static final String PASSWORD = "correct horse battery";
  private static final String NEW_PASSWORD = "a brand new passphrase";

  private static String newEmail() {
    return "sessions-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";
  }

  private static Locator sessions(Page p) {
    return p.getByRole(AriaRole.LIST, new Page.GetByRoleOptions().setName("Your sessions")).getByRole(AriaRole.LISTITEM);
  }

  /** A second device: its own browser profile, signed in to the same account. */
  private Page secondDevice(String email, String password) {
    BrowserContext other = newContext();
    Page p = other.newPage();
    Ui.enterPassword(p, email, password);
    assertThat(p).hasURL(Pattern.compile("/account$"));
    return p;
  }

  /** The device's next step in the app finds it signed out. */
  private static void findsItselfSignedOut(Page p) {
    p.reload();
    assertThat(p).hasURL(Pattern.compile("/signin$"));
    assertThat(p.getByText("Please sign in to continue.")).isVisible();
  }

  @Test
  void a_person_sees_their_sessions_and_signs_one_out() {
    String email = newEmail();
    Ui.signUp(page, "Sam Session", email, PASSWORD);
    assertThat(heading(page, "Sessions")).isVisible();
    assertThat(sessions(page)).hasCount(1);
    assertThat(sessions(page).first()).containsText("Chrome on Linux");
    assertThat(sessions(page).first()).containsText("This session");
    assertThat(button(page, "Sign out of all other sessions")).hasCount(0);

    Page phone = secondDevice(email, PASSWORD);
    page.reload();
    assertThat(sessions(page)).hasCount(2);
    Locator other = sessions(page).filter(new Locator.FilterOptions().setHasNotText("This session"));
    assertThat(other).containsText("with password");
    assertThat(other).containsText("from 127.0.0.1");
    screenshot("two-sessions");

    other.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Sign out Chrome on Linux")).click();
    assertThat(sessions(page)).hasCount(1);
    assertThat(sessions(page).first()).containsText("This session");
    findsItselfSignedOut(phone);

    Page tablet = secondDevice(email, PASSWORD);
    Page laptop = secondDevice(email, PASSWORD);
    page.reload();
    assertThat(sessions(page)).hasCount(3);
    button(page, "Sign out of all other sessions").click();
    assertThat(page.getByText("You are signed out everywhere else.")).isVisible();
    assertThat(sessions(page)).hasCount(1);
    findsItselfSignedOut(tablet);
    findsItselfSignedOut(laptop);

    Ui.link(page, "Security log").click();
    assertThat(page.getByText("Signed out a session (Chrome on Linux)")).isVisible();
    assertThat(page.getByText("Signed out of 2 other sessions")).isVisible();
    Ui.signOut(page);
  }

  @Test
  void a_person_changes_their_password_and_the_other_sessions_end() {
    String email = newEmail();
    Ui.signUp(page, "Pat Password", email, PASSWORD);
    Page phone = secondDevice(email, PASSWORD);
    page.reload();
    Locator current = page.getByLabel("Current password");
    Locator next = page.getByLabel("New password");
    assertThat(current).hasAttribute("autocomplete", "current-password");
    assertThat(next).hasAttribute("autocomplete", "new-password");

    current.fill("not my password");
    next.fill(NEW_PASSWORD);
    button(page, "Change password").click();
    assertThat(page.getByText("That password is not correct.")).isVisible();
    assertThat(current).isFocused();
    assertThat(current).hasAttribute("aria-invalid", "true");

    current.fill(PASSWORD);
    next.fill("short");
    button(page, "Change password").click();
    assertThat(page.getByText("Use at least 8 characters.")).isVisible();
    assertThat(next).isFocused();
    screenshot("weak-new-password");

    next.fill(NEW_PASSWORD);
    button(page, "Change password").click();
    assertThat(page.getByText("Your password is changed. Every other session was signed out.")).isVisible();
    assertThat(current).hasValue("");
    assertThat(sessions(page)).hasCount(1);
    screenshot("password-changed");
    findsItselfSignedOut(phone);

    Ui.signOut(page);
    Ui.enterPassword(page, email, PASSWORD);
    assertThat(page.getByText("Incorrect email or password.")).isVisible();
    Ui.enterPassword(page, email, NEW_PASSWORD);
    assertThat(page).hasURL(Pattern.compile("/account$"));
    Ui.signOut(page);
  }
}
