package dev.gatehouse.web;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.gatehouse.web.Ui.button;
import static dev.gatehouse.web.Ui.dialog;
import static dev.gatehouse.web.Ui.heading;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.microsoft.playwright.CDPSession;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.options.AriaRole;
import dev.gatehouse.config.Settings;
import dev.gatehouse.support.ServerFixture;
import dev.gatehouse.support.TestServer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Passkeys in Chromium, with the DevTools protocol's virtual authenticator as the person's passkey
 * provider: in Account settings (add one, which turns 2FA on and shows the recovery codes, a second from
 * another device, rename, remove, and remove the last one after the warning that 2FA goes with it), and
 * signing in with the password and a passkey, with the passkey alone, and confirming a change with it.
 *
 * <p>WebAuthn wants a secure context and a domain as relying party id, so this server's public URL is
 * {@code http://localhost:<port>} and the browser goes there, not to 127.0.0.1 as the other tests do.
 */
class PasskeyJourneyTest extends BrowserTest {

  private static final String PASSWORD = "correct horse battery";
  private static final int PORT = TestServer.freePort();
  private static final String base = "http://localhost:" + PORT;
  @RegisterExtension
  static final ServerFixture server = ServerFixture.start(new io.vertx.core.json.JsonObject()
      .put(Settings.HTTP_PORT, PORT).put(Settings.PUBLIC_URL, base));

  private final String email = "passkeys-" + UUID.randomUUID().toString().substring(0, 8) + "@example.com";

  @Override
  protected String baseUrl() {
    return base;
  }

  @Test
  void add_rename_and_remove_passkeys_in_account_settings() {
    CDPSession devtools = context.newCDPSession(page);
    devtools.send("WebAuthn.enable");
    String laptop = addVirtualAuthenticator(devtools);

    Ui.signUp(page, "Passkey Person", email, PASSWORD);
    Locator section = page.locator("#passkeys");
    assertThat(heading(page, "Passkeys")).isVisible();
    assertThat(section.getByText("You have no passkeys yet.")).isVisible();
    screenshot("no-passkeys");

    // The first passkey: a name, the password (sudo), the authenticator; 2FA is on, the codes are shown.
    button(page, "Add a passkey").click();
    Locator naming = dialog(page, "Add a passkey");
    naming.getByLabel("Passkey name").fill("Work laptop");
    screenshot("name-dialog");
    naming.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Continue")).click();
    Ui.confirmPassword(page, PASSWORD);
    assertThat(page).hasURL(Pattern.compile("/account/two-factor/recovery-codes$"));
    assertThat(page.getByText("Two-factor authentication is on with your passkey “Work laptop”.")).isVisible();
    assertEquals(10, page.locator(".codes li").count());
    screenshot("recovery-codes");

    JsonObject stored = devtools.send("WebAuthn.getCredentials", authenticator(laptop))
        .getAsJsonArray("credentials").get(0).getAsJsonObject();
    assertEquals("localhost", stored.get("rpId").getAsString());
    assertEquals(true, stored.get("isResidentCredential").getAsBoolean(), "a discoverable passkey");
    String handle = new String(Base64.getDecoder().decode(stored.get("userHandle").getAsString()), StandardCharsets.ISO_8859_1);
    assertFalse(handle.contains(email), "the user handle is not the email");

    page.navigate("/account");
    assertThat(page.locator(".badge")).hasText("Enabled");
    assertThat(section.getByRole(AriaRole.HEADING, new Locator.GetByRoleOptions().setName("Work laptop"))).isVisible();
    assertThat(section.getByText(Pattern.compile("Added .* · Never used"))).isVisible();
    assertThat(page.getByRole(AriaRole.BUTTON, new com.microsoft.playwright.Page.GetByRoleOptions()
        .setName("Set up").setExact(true))).isVisible();
    screenshot("one-passkey");

    // The same device again: its authenticator refuses, and the page says why.
    button(page, "Add a passkey").click();
    dialog(page, "Add a passkey").getByLabel("Passkey name").fill("Laptop again");
    dialog(page, "Add a passkey").getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Continue")).click();
    assertThat(section.getByText("This device already holds a passkey for your account.")).isVisible();

    // A second device (a phone): added without recovery codes this time.
    devtools.send("WebAuthn.removeVirtualAuthenticator", authenticator(laptop));
    addVirtualAuthenticator(devtools);
    button(page, "Add a passkey").click();
    dialog(page, "Add a passkey").getByLabel("Passkey name").fill("Phone");
    dialog(page, "Add a passkey").getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Continue")).click();
    assertThat(page.getByText("Passkey “Phone” added.")).isVisible();
    assertThat(section.locator(".box__row")).hasCount(2);

    button(page, "Rename Phone").click();
    Locator renaming = dialog(page, "Rename passkey");
    assertThat(renaming.getByLabel("Passkey name")).hasValue("Phone");
    renaming.getByLabel("Passkey name").fill("Pixel 9");
    renaming.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Save")).click();
    assertThat(page.getByText("Passkey renamed to “Pixel 9”.")).isVisible();
    assertThat(section.getByRole(AriaRole.HEADING, new Locator.GetByRoleOptions().setName("Pixel 9"))).isVisible();
    screenshot("two-passkeys");

    button(page, "Remove Work laptop").click();
    Locator removing = dialog(page, "Remove “Work laptop”?");
    assertThat(removing.getByText("You will no longer be able to use this passkey")).isVisible();
    removing.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Remove passkey")).click();
    assertThat(page.getByText("Passkey “Work laptop” removed.")).isVisible();
    assertThat(section.locator(".box__row")).hasCount(1);

    // The last one: the warning says 2FA goes with it.
    button(page, "Remove Pixel 9").click();
    Locator last = dialog(page, "Remove your last passkey?");
    assertThat(last.getByText("removing it turns two-factor authentication off and deletes your recovery codes"))
        .isVisible();
    screenshot("remove-last");
    last.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Remove and turn off 2FA")).click();
    assertThat(page.getByText("Passkey removed. Two-factor authentication is off.")).isVisible();
    assertThat(page.locator(".badge")).hasText("Disabled");
    assertThat(section.getByText("You have no passkeys yet.")).isVisible();
    screenshot("all-removed");

    page.navigate("/account/security-log");
    assertThat(page.getByText("Passkey added: “Work laptop”")).isVisible();
    assertThat(page.getByText("Two-factor authentication turned off (last passkey removed)")).isVisible();
    screenshot("security-log");
  }

  /**
   * The journey: add a passkey, sign out, sign in with the password and the passkey, sign out,
   * sign in with the passkey alone, confirm a security change with it, and remove it.
   */
  @Test
  void sign_in_with_password_and_passkey_then_with_the_passkey_alone_then_remove_it() {
    CDPSession devtools = context.newCDPSession(page);
    devtools.send("WebAuthn.enable");
    String laptop = addVirtualAuthenticator(devtools);

    Ui.signUp(page, "Passkey Person", email, PASSWORD);
    button(page, "Add a passkey").click();
    dialog(page, "Add a passkey").getByLabel("Passkey name").fill("Laptop");
    dialog(page, "Add a passkey").getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Continue")).click();
    Ui.confirmPassword(page, PASSWORD);
    assertThat(page.getByText("Two-factor authentication is on with your passkey “Laptop”.")).isVisible();
    page.navigate("/account");
    // Nobody at the authenticator: the sign-in page's passkey autofill waits, and the password is used.
    presence(devtools, laptop, false);
    Ui.signOut(page);
    assertThat(page.getByLabel("Email address")).hasAttribute("autocomplete", "username webauthn");
    screenshot("sign-in-page");

    // Password, then the passkey: offered first, one button.
    Ui.enterPassword(page, email, PASSWORD);
    assertThat(page).hasURL(Pattern.compile("/signin/two-factor$"));
    assertThat(page.getByText("Confirm it’s you with the passkey on this device or your phone.")).isVisible();
    screenshot("second-step-passkey");
    presence(devtools, laptop, true);
    button(page, "Use your passkey").click();
    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(heading(page, "Account and security")).isVisible();

    // The passkey alone, from the email field's autofill: the person picks it (the virtual
    // authenticator, once someone is there, at once), with no password and no second step.
    presence(devtools, laptop, false);
    Ui.signOut(page);
    presence(devtools, laptop, true);
    page.reload(); // the page asks again, and this time someone is there
    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(page.locator(".badge")).hasText("Enabled");

    // And with the button, in a browser without passkey autofill (from its next page load on).
    presence(devtools, laptop, false);
    Ui.signOut(page);
    context.addInitScript("PublicKeyCredential.isConditionalMediationAvailable = async () => false;");
    page.navigate("/signin");
    presence(devtools, laptop, true);
    button(page, "Sign in with a passkey").click();
    assertThat(page).hasURL(Pattern.compile("/account$"));
    screenshot("signed-in-with-passkey");

    // A security change: "Confirm it's you" takes the password, then the passkey.
    page.getByRole(AriaRole.LINK, new com.microsoft.playwright.Page.GetByRoleOptions().setName("View recovery codes")).click();
    Locator confirm = dialog(page, Ui.CONFIRM_ITS_YOU);
    confirm.getByLabel("Password", new Locator.GetByLabelOptions().setExact(true)).fill(PASSWORD);
    confirm.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Confirm").setExact(true)).click();
    assertThat(confirm.getByText("Password confirmed. Now use your passkey, or enter a code.")).isVisible();
    assertThat(confirm.getByLabel("Recovery code")).isVisible();
    screenshot("sudo-passkey");
    confirm.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Use your passkey")).click();
    assertThat(confirm).isHidden();
    assertThat(page).hasURL(Pattern.compile("/account/two-factor/recovery-codes$"));
    assertThat(page.locator(".codes li")).hasCount(10);

    // Remove it: the last second factor, so 2FA goes off after the warning.
    page.navigate("/account");
    button(page, "Remove Laptop").click();
    dialog(page, "Remove your last passkey?").getByRole(AriaRole.BUTTON,
        new Locator.GetByRoleOptions().setName("Remove and turn off 2FA")).click();
    assertThat(page.getByText("Passkey removed. Two-factor authentication is off.")).isVisible();
    assertThat(page.locator(".badge")).hasText("Disabled");
    screenshot("removed");

    page.navigate("/account/security-log");
    // At least the autofill's and the button's (the autofill of a page left meanwhile may have answered too).
    assertThat(page.getByText("Signed in with a passkey, without a password").first()).isVisible();
    assertTrue(page.getByText("Signed in with a passkey, without a password").count() >= 2);
    assertThat(page.getByText("Signed in with a passkey", new com.microsoft.playwright.Page.GetByTextOptions().setExact(true)))
        .hasCount(1);
    assertThat(page.getByText("Identity confirmed for a security change with a passkey")).isVisible();
    screenshot("security-log");

    // Gone from the account: the authenticator still holds it, but it signs nobody in.
    Ui.signOut(page);
    button(page, "Sign in with a passkey").click();
    assertThat(page.getByText("This passkey is not one of this account's passkeys.")).isVisible();
    assertFalse(devtools.send("WebAuthn.getCredentials", authenticator(laptop)).getAsJsonArray("credentials").isEmpty());
  }

  /** Whether the virtual authenticator answers at once, as if someone touched it. */
  private static void presence(CDPSession devtools, String id, boolean present) {
    JsonObject params = authenticator(id);
    params.addProperty("enabled", present);
    devtools.send("WebAuthn.setAutomaticPresenceSimulation", params);
  }

  /** A platform authenticator (like Touch ID) that verifies the person and answers without a prompt. */
  private static String addVirtualAuthenticator(CDPSession devtools) {
    JsonObject options = new JsonObject();
    options.addProperty("protocol", "ctap2");
    options.addProperty("transport", "internal");
    options.addProperty("hasResidentKey", true);
    options.addProperty("hasUserVerification", true);
    options.addProperty("isUserVerified", true);
    options.addProperty("automaticPresenceSimulation", true);
    JsonObject params = new JsonObject();
    params.add("options", options);
    return devtools.send("WebAuthn.addVirtualAuthenticator", params).get("authenticatorId").getAsString();
  }

  private static JsonObject authenticator(String id) {
    JsonObject params = new JsonObject();
    params.addProperty("authenticatorId", id);
    return params;
  }
}
