package dev.gatehouse.web;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;

import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import java.util.regex.Pattern;

/** The steps a person takes in the web app, in the words on the screen. */
final class Ui {

  private Ui() {
  }

  static Locator button(Page page, String name) {
    return page.getByRole(AriaRole.BUTTON, new Page.GetByRoleOptions().setName(name).setExact(true));
  }

  static Locator link(Page page, String name) {
    return page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName(name).setExact(true));
  }

  static Locator heading(Page page, String name) {
    return page.getByRole(AriaRole.HEADING, new Page.GetByRoleOptions().setName(name).setExact(true));
  }

  static Locator dialog(Page page, String name) {
    return page.getByRole(AriaRole.DIALOG, new Page.GetByRoleOptions().setName(name));
  }

  static void signUp(Page page, String name, String email, String password) {
    page.navigate("/signup");
    page.getByLabel("Your name").fill(name);
    page.getByLabel("Email address").fill(email);
    page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill(password);
    button(page, "Create account").click();
    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(heading(page, "Account and security")).isVisible();
  }

  /** Email and password; the caller checks where that leads. */
  static void enterPassword(Page page, String email, String password) {
    if (!page.url().endsWith("/signin")) page.navigate("/signin");
    page.getByLabel("Email address").fill(email);
    page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill(password);
    button(page, "Sign in").click();
  }

  static void signOut(Page page) {
    button(page, "Sign out").click();
    assertThat(page).hasURL(Pattern.compile("/signin$"));
    assertThat(page.getByText("You have signed out.")).isVisible();
  }

  /** Enable → password → secret key → code → Finish, without looking around; returns the "phone". */
  static AuthenticatorApp enableTwoFactor(Page page, String password) throws InterruptedException {
    button(page, "Enable").click();
    confirmPassword(page, password);
    button(page, "secret key").click();
    AuthenticatorApp app = new AuthenticatorApp(page.locator("#setup-secret-key").innerText());
    page.getByLabel("6-digit code from your app").fill(app.nextCode());
    button(page, "Enable").click();
    page.getByLabel("I have saved my recovery codes").check();
    button(page, "Finish").click();
    assertThat(page.getByText("Two-factor authentication is on.")).isVisible();
    return app;
  }

  /** The sudo dialog's title. */
  static final String CONFIRM_ITS_YOU = "Confirm it’s you";

  /** Answers the "Confirm it's you" dialog of an account without 2FA: the password alone. */
  static void confirmPassword(Page page, String password) {
    Locator dialog = dialog(page, CONFIRM_ITS_YOU);
    assertThat(dialog).isVisible();
    dialog.getByLabel("Password", new Locator.GetByLabelOptions().setExact(true)).fill(password);
    dialog.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Confirm").setExact(true)).click();
    assertThat(dialog).isHidden();
  }

  /** Answers it for an account with 2FA: the password, then the code the dialog asks for next. */
  static void confirmItsYou(Page page, String password, String code) {
    Locator dialog = dialog(page, CONFIRM_ITS_YOU);
    dialog.getByLabel("Password", new Locator.GetByLabelOptions().setExact(true)).fill(password);
    dialog.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Confirm").setExact(true)).click();
    Locator codeField = dialog.getByLabel("Code from your authenticator app");
    assertThat(codeField).isFocused();
    codeField.fill(code);
    dialog.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Confirm").setExact(true)).click();
    assertThat(dialog).isHidden();
  }
}
