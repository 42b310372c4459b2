package dev.gatehouse.web;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.gatehouse.web.Ui.button;
import static dev.gatehouse.web.Ui.dialog;
import static dev.gatehouse.web.Ui.heading;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.microsoft.playwright.Download;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The whole seed in a browser: enable 2FA with the QR step's secret key, save the
 * recovery codes, sign in with a TOTP code and with a recovery code, regenerate,
 * re-configure and disable. The test is the authenticator app: it reads the secret
 * key from the page and computes the codes itself.
 */
class TwoFactorJourneyTest extends GatehouseBrowserTest {

  private static final String PASSWORD = "correct horse battery";
  private static final Pattern CODE_SHAPE = Pattern.compile("[0-9A-Za-z]+(-[0-9A-Za-z]+)*");

  private final String email = "journey-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";

  private Locator codeField() {
    return page.getByLabel("Authentication code", new Page.GetByLabelOptions().setExact(true));
  }

  /** Enable → confirm password → QR step → secret key → 6-digit code; returns the app and the codes shown. */
  private AuthenticatorApp enableTwoFactor(List<String> codesOut) throws InterruptedException {
    button(page, "Enable").click();
    Ui.confirmPassword(page, PASSWORD);
    assertThat(page).hasURL(Pattern.compile("/account/two-factor/setup$"));
    assertThat(heading(page, "Scan the QR code")).isVisible();
    Locator qr = page.getByAltText("QR code to scan with your authenticator app");
    assertThat(qr).isVisible();
    // Drawn on demand by the server; wait until the browser has decoded a real image.
    page.waitForFunction("img => img.complete && img.naturalWidth >= 200", qr.elementHandle());
    assertThat(page.getByText("Scan this same code with each of them now")).isVisible();
    screenshot("qr-step");

    Locator reveal = button(page, "secret key");
    assertThat(reveal).hasAttribute("aria-expanded", "false");
    reveal.click();
    assertThat(reveal).hasAttribute("aria-expanded", "true");
    String grouped = page.locator("#setup-secret-key").innerText().trim();
    assertTrue(grouped.matches("[A-Z2-7]{4}( [A-Z2-7]{1,4})+"), "the key is shown in groups of four: " + grouped);
    screenshot("secret-key");
    AuthenticatorApp app = new AuthenticatorApp(grouped);

    // Typed as an app shows it, "123 456": the space must not matter.
    String code = app.nextCode();
    page.getByLabel("6-digit code from your app").fill(code.substring(0, 3) + " " + code.substring(3));
    button(page, "Enable").click();

    assertThat(heading(page, "Save your recovery codes")).isVisible();
    assertThat(heading(page, "Save your recovery codes")).isFocused();
    List<String> codes = page.locator(".codes li").allInnerTexts();
    assertEquals(10, codes.size(), "ten recovery codes");
    for (String c : codes) assertTrue(CODE_SHAPE.matcher(c.trim()).matches(), "readable code: " + c);
    assertEquals(10, new HashSet<>(codes).size(), "all different");
    assertThat(button(page, "Copy")).isVisible();
    assertThat(Ui.link(page, "Download")).hasAttribute("href", "/account/recovery-codes.txt");
    assertThat(Ui.link(page, "Print")).hasAttribute("href", "/account/recovery-codes/print");
    Locator finish = button(page, "Finish");
    assertThat(finish).isDisabled();
    screenshot("recovery-codes");

    // Download and Print hand over the same codes, from the server, with sudo still fresh.
    Download download = page.waitForDownload(() -> Ui.link(page, "Download").click());
    String saved = readDownload(download);
    for (String c : codes) assertTrue(saved.contains(c.trim()), "the .txt holds " + c);
    Page sheet = page.waitForPopup(() -> Ui.link(page, "Print").click());
    sheet.waitForLoadState();
    for (String c : codes) assertTrue(sheet.locator("body").innerText().contains(c.trim()), "the sheet holds " + c);
    sheet.close();

    page.getByLabel("I have saved my recovery codes").check();
    assertThat(finish).isEnabled();
    finish.click();

    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(page.getByText("Two-factor authentication is on.")).isVisible();
    assertThat(page.locator(".badge")).hasText("Enabled");
    codesOut.addAll(codes.stream().map(String::trim).toList());
    return app;
  }

  @Test
  void the_whole_two_factor_journey() throws InterruptedException {
    Ui.signUp(page, "Journey Person", email, PASSWORD);
    screenshot("account-before");

    List<String> codes = new java.util.ArrayList<>();
    AuthenticatorApp app = enableTwoFactor(codes);
    assertThat(page.getByText("10 unused recovery codes left.")).isVisible();
    screenshot("account-enabled");

    // Sign in with the app: a wrong code first, explained next to the field and cleared.
    Ui.signOut(page);
    Ui.enterPassword(page, email, PASSWORD);
    assertThat(page).hasURL(Pattern.compile("/signin/two-factor$"));
    assertThat(codeField()).isFocused();
    assertThat(codeField()).hasAttribute("inputmode", "numeric");
    assertThat(codeField()).hasAttribute("autocomplete", "one-time-code");
    screenshot("second-step");
    codeField().fill(app.wrongCode());
    button(page, "Verify").click();
    assertThat(page.getByText("That code didn’t work.")).isVisible();
    assertThat(codeField()).hasValue("");
    assertThat(codeField()).isFocused();
    screenshot("wrong-code");
    // A phone whose clock is off is told so (docs/security.md 27).
    codeField().fill(app.codeOfAClockBehind(3));
    button(page, "Verify").click();
    assertThat(page.getByText("Your device’s clock seems to be 3 minutes behind")).isVisible();
    screenshot("clock-behind");
    codeField().fill(app.nextCode());
    button(page, "Verify").click();
    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(page.locator(".badge")).hasText("Enabled");

    // Sign in with a recovery code, switching to it by keyboard alone.
    Ui.signOut(page);
    Ui.enterPassword(page, email, PASSWORD);
    assertThat(codeField()).isFocused();
    Locator useRecovery = button(page, "Use a recovery code instead");
    for (int i = 0; i < 5 && !isFocused(useRecovery); i++) page.keyboard().press("Tab");
    assertTrue(isFocused(useRecovery), "the switch is reachable with Tab");
    page.keyboard().press("Enter");
    Locator recoveryField = page.getByLabel("Recovery code", new Page.GetByLabelOptions().setExact(true));
    assertThat(recoveryField).isFocused();
    screenshot("recovery-step");
    // Upper case and without hyphens: people type codes as they read them.
    page.keyboard().type(codes.get(0).replace("-", "").toUpperCase(java.util.Locale.ROOT));
    page.keyboard().press("Enter");
    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(page.getByText("You signed in with a recovery code. You have 9 recovery codes left.")).isVisible();
    assertThat(page.getByText("9 unused recovery codes left.")).isVisible();
    screenshot("signed-in-with-recovery-code");

    // The used code is struck through when the codes are viewed again. With 2FA on, "confirm it's
    // you" takes the password and then a code; a wrong code is explained in the dialog.
    Ui.link(page, "View recovery codes").click();
    Locator sudo = dialog(page, Ui.CONFIRM_ITS_YOU);
    sudo.getByLabel("Password", new Locator.GetByLabelOptions().setExact(true)).fill(PASSWORD);
    sudo.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Confirm").setExact(true)).click();
    Locator sudoCode = sudo.getByLabel("Code from your authenticator app");
    assertThat(sudoCode).isFocused();
    assertThat(sudo.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Use a recovery code instead")))
        .isVisible();
    sudoCode.fill(app.wrongCode());
    sudo.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Confirm").setExact(true)).click();
    assertThat(sudo.getByText("That code didn’t work.")).isVisible();
    screenshot("sudo-code-step");
    sudoCode.fill(app.nextCode());
    sudo.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Confirm").setExact(true)).click();
    assertThat(sudo).isHidden();
    assertThat(heading(page, "Recovery codes")).isVisible();
    assertThat(page.locator(".codes del")).hasCount(1);
    assertThat(page.locator(".codes del")).hasText(codes.get(0));
    screenshot("view-recovery-codes");

    // Regenerate: a confirmation that says the old set stops working, then a new set.
    button(page, "Generate new recovery codes").click();
    Locator confirm = dialog(page, "Generate new recovery codes?");
    assertThat(confirm.getByText("stop working immediately")).isVisible();
    screenshot("regenerate-confirm");
    confirm.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Generate new codes")).click();
    assertThat(page.getByText("New recovery codes generated.")).isVisible();
    List<String> fresh = page.locator(".codes li").allInnerTexts();
    assertEquals(10, fresh.size());
    assertThat(page.locator(".codes del")).hasCount(0);
    assertTrue(fresh.stream().noneMatch(codes::contains), "a whole new set");
    screenshot("regenerated");

    // Re-configure: sudo is still fresh (and was at full strength), so straight to the same QR flow,
    // warning that old devices stop working; no new codes.
    Ui.link(page, "Account and security").click();
    button(page, "Re-configure authenticator app").click();
    assertThat(page).hasURL(Pattern.compile("/account/two-factor/setup$"));
    assertThat(page.getByText("every device using your current key stops working")).isVisible();
    button(page, "secret key").click();
    AuthenticatorApp newApp = new AuthenticatorApp(page.locator("#setup-secret-key").innerText());
    screenshot("reconfigure");
    page.getByLabel("6-digit code from your app").fill(newApp.nextCode());
    button(page, "Confirm new app").click();
    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(page.getByText("Your authenticator app is re-configured.")).isVisible();
    assertThat(page.getByText("10 unused recovery codes left.")).isVisible();
    assertNotEquals(app.codeAt(1), newApp.codeAt(1), "a new key");

    // Disable: a confirmation that says what it means; sudo is still fresh, so nothing more.
    button(page, "Disable").click();
    Locator disable = dialog(page, "Disable two-factor authentication");
    assertThat(disable.getByText("recovery codes will be deleted")).isVisible();
    screenshot("disable");
    disable.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Disable").setExact(true)).click();
    assertThat(page.getByText("Two-factor authentication is off.")).isVisible();
    assertThat(page.locator(".badge")).hasText("Disabled");
    assertThat(button(page, "Enable")).isVisible();
    screenshot("disabled");

    // And signing in asks for the password only again.
    Ui.signOut(page);
    Ui.enterPassword(page, email, PASSWORD);
    assertThat(page).hasURL(Pattern.compile("/account$"));

    Ui.link(page, "Security log").click();
    assertThat(heading(page, "Security log")).isVisible();
    screenshot("security-log");
  }

  private static String readDownload(Download download) {
    try {
      return java.nio.file.Files.readString(download.path());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private boolean isFocused(Locator locator) {
    return (Boolean) locator.evaluate("el => el === document.activeElement");
  }

  @Test
  void a_wrong_password_in_the_confirm_dialog_is_explained() throws InterruptedException {
    Ui.signUp(page, "Sudo Person", email, PASSWORD);
    button(page, "Enable").click();
    Locator sudo = dialog(page, Ui.CONFIRM_ITS_YOU);
    Locator password = sudo.getByLabel("Password", new Locator.GetByLabelOptions().setExact(true));
    assertThat(password).isFocused();
    password.fill("wrong password");
    sudo.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Confirm").setExact(true)).click();
    assertThat(sudo.getByText("That password is not correct.")).isVisible();
    assertThat(password).hasValue("");
    screenshot("sudo-wrong-password");
    page.keyboard().press("Escape");
    assertThat(sudo).isHidden();
    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(button(page, "Enable")).isFocused();
  }

  @Test
  void the_second_step_starts_again_when_it_has_expired() {
    // Without a pending password step the server has nothing to check the code against.
    page.navigate("/signin/two-factor");
    codeField().fill("123456");
    button(page, "Verify").click();
    assertThat(Ui.link(page, "Start again")).isFocused();
    assertThat(page.getByRole(AriaRole.ALERT)).containsText(Pattern.compile("start again", Pattern.CASE_INSENSITIVE));
    screenshot("start-again");
    Ui.link(page, "Start again").click();
    assertThat(page).hasURL(Pattern.compile("/signin$"));
    assertThat(page.getByLabel("Email address")).isVisible();
  }
}
