package dev.gatehouse.web;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static dev.gatehouse.support.TestServer.freePort;
import static dev.gatehouse.web.Ui.button;
import static dev.gatehouse.web.Ui.heading;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.options.AriaRole;
import dev.gatehouse.config.Settings;
import dev.gatehouse.sso.SsoKit;
import dev.gatehouse.sso.SsoKit.Org;
import dev.gatehouse.support.FakeDns;
import dev.gatehouse.support.RunningServer;
import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * "Sign in with SSO" and the Organisation settings in a real browser, against a real OpenID
 * Connect provider in-process (mock-oauth2-server, which signs in whoever the test enqueues) and
 * a tiny DNS server that holds the domain-verification records the test publishes. Organisations
 * the page only signs in to are set up over the API with the SSO tests' {@link SsoKit}.
 */
class SsoPagesTest extends BrowserTest {

  private static final String PASSWORD = "correct horse battery";

  /**
   * The provider sends the browser back to GATEHOUSE_PUBLIC_URL, so the server gets a port chosen
   * before it starts, and the public URL is the one the browser uses (127.0.0.1: the cookie's host).
   */
  private static final int PORT = freePort();
  @RegisterExtension
  static final SsoKit kit = SsoKit.fixture(dns -> SsoKit.settings(dns)
      .put(Settings.HTTP_PORT, PORT)
      .put(Settings.PUBLIC_URL, "http://127.0.0.1:" + PORT));
  private static final RunningServer server = kit.server;
  private static final FakeDns dns = kit.dns;

  @Override
  protected String baseUrl() {
    return server.baseUrl();
  }

  private static String id() {
    return UUID.randomUUID().toString().substring(0, 8);
  }

  /** The provider's answer to the next sign-in through it: it vouches for `email` (its person for that address). */
  private static void providerSignsIn(MockOAuth2Server provider, String slug, String email) {
    provider.enqueueCallback(new DefaultOAuth2TokenCallback(slug, SsoKit.subjectOf(email), "JWT", null,
        SsoKit.vouched(email), 3600));
  }

  private Locator ssoField() {
    return page.getByLabel("Work email or organisation");
  }

  @Test
  void an_account_with_a_password_links_its_sso_sign_in_once_then_signs_in_with_no_second_step()
      throws InterruptedException {
    Org org = kit.organisation(false);
    String email = org.email("dana");
    // Dana had a password and 2FA before her organisation switched SSO on.
    Ui.signUp(page, "Dana Scully", email, PASSWORD);
    AuthenticatorApp phone = Ui.enableTwoFactor(page, PASSWORD);
    Ui.signOut(page);
    kit.switchSso(org, true);

    page.navigate("/signin");
    button(page, "Sign in with SSO").click();
    assertThat(ssoField()).isFocused();
    ssoField().fill(email);
    screenshot("sso-form");
    providerSignsIn(org.provider(), org.slug(), email);
    button(page, "Continue").click();

    // Her account has a password: the provider's word alone does not open it. She proves it here, once.
    assertThat(page).hasURL(Pattern.compile("/signin$"));
    assertThat(page.getByText("An account with " + email + " already exists")).isVisible();
    assertThat(page.getByLabel("Email address")).hasValue(email);
    assertThat(page.locator("#account-menu")).isHidden();
    screenshot("sso-link-waiting");
    page.getByLabel("Password", new Page.GetByLabelOptions().setExact(true)).fill(PASSWORD);
    button(page, "Sign in").click();
    assertThat(page).hasURL(Pattern.compile("/signin/two-factor$"));
    page.getByLabel("Authentication code", new Page.GetByLabelOptions().setExact(true)).fill(phone.nextCode());
    button(page, "Verify").click();
    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(page.getByText("Your sign-in through " + org.name() + " is now linked to this account.")).isVisible();
    screenshot("sso-linked");
    Ui.signOut(page);

    // From now on the provider signs her in, with no second step.
    page.navigate("/signin");
    button(page, "Sign in with SSO").click();
    ssoField().fill(email);
    providerSignsIn(org.provider(), org.slug(), email);
    button(page, "Continue").click();

    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(heading(page, "Account and security")).isVisible();
    assertThat(page.locator("#account-menu-who")).hasText(email);
    assertThat(page.locator("#two-factor-heading")).containsText("Enabled");
    assertThat(page.getByText("Two-factor authentication is not used for SSO sign-ins")).isVisible();
    assertThat(page.locator("#organisation")).containsText("You are a member. You sign in through its identity provider (SSO).");
    screenshot("signed-in-with-sso");
    Ui.signOut(page);

    // The password is right, but her organisation wants SSO: the page takes her there by itself.
    providerSignsIn(org.provider(), org.slug(), email);
    Ui.enterPassword(page, email, PASSWORD);
    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(page.locator("#account-menu-who")).hasText(email);
    Ui.signOut(page);
  }

  @Test
  void an_account_made_by_sso_is_offered_no_password_to_change() {
    Org org = kit.organisation(true);
    String email = org.email("fox");
    page.navigate("/signin");
    button(page, "Sign in with SSO").click();
    ssoField().fill(email);
    providerSignsIn(org.provider(), org.slug(), email);
    button(page, "Continue").click();
    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(page.locator("#sessions")).containsText("with SSO");
    assertThat(page.getByRole(AriaRole.FORM, new Page.GetByRoleOptions().setName("Change password"))).hasCount(0);
    assertThat(page.getByLabel("Current password")).hasCount(0);
    Ui.signOut(page);
  }

  @Test
  void an_account_made_by_sso_confirms_its_you_by_signing_in_at_its_provider_again() {
    Org org = kit.organisation(true);
    String email = org.email("gil");
    page.navigate("/signin");
    button(page, "Sign in with SSO").click();
    ssoField().fill(email);
    providerSignsIn(org.provider(), org.slug(), email);
    button(page, "Continue").click();
    assertThat(page).hasURL(Pattern.compile("/account$"));

    // A security setting asks who it is: no password to ask for, so the dialog offers the provider.
    button(page, "Enable").click();
    Locator dialog = Ui.dialog(page, Ui.CONFIRM_ITS_YOU);
    assertThat(dialog).isVisible();
    assertThat(dialog.getByLabel("Password")).hasCount(0);
    screenshot("sso-confirm-its-you");
    dialog.getByRole(AriaRole.BUTTON, new Locator.GetByRoleOptions().setName("Continue with " + org.name())).click();

    // The provider asks the person to sign in again (its login page), and says when they did.
    Locator username = page.locator("input[name=username]");
    assertThat(username).isVisible();
    String claims = new io.vertx.core.json.JsonObject(SsoKit.vouched(email, System.currentTimeMillis() / 1000)).encode();
    providerSignsIn(org.provider(), org.slug(), email);
    username.fill(SsoKit.subjectOf(email));
    page.locator("textarea[name=claims]").fill(claims);
    page.locator("input[type=submit]").click();

    assertThat(page).hasURL(Pattern.compile("/account$"));
    assertThat(page.getByText("Confirmed: you can change security settings for the next few minutes.")).isVisible();
    screenshot("sso-confirmed");
    button(page, "Enable").click();
    assertThat(page).hasURL(Pattern.compile("/account/two-factor/setup$"));
    assertThat(Ui.dialog(page, Ui.CONFIRM_ITS_YOU)).hasCount(0);

    // A confirmation that did not count is said on the account page, and grants nothing.
    page.navigate("/account?sso_error=sso_identity_mismatch");
    assertThat(page.getByText("You signed in at your identity provider as someone else, so nothing was confirmed."))
        .isVisible();
    assertThat(page).hasURL(Pattern.compile("/account$"));
    Ui.signOut(page);
  }

  @Test
  void sso_failures_are_explained_on_the_sign_in_page() {
    Org org = kit.organisation(true);

    // From the keyboard: the button gives way to the field, and Enter sends it.
    page.navigate("/signin");
    button(page, "Sign in with SSO").focus();
    page.keyboard().press("Enter");
    assertThat(ssoField()).isFocused();
    page.keyboard().type("someone@nowhere-" + id() + ".test");
    page.keyboard().press("Enter");
    assertThat(page.getByText("No organisation signs in with SSO there.")).isVisible();
    assertThat(ssoField()).hasAttribute("aria-invalid", "true");
    assertThat(ssoField()).isFocused();
    screenshot("sso-not-found");

    // By the organisation's short name; the provider vouches for an address outside its domains.
    ssoField().fill(org.slug().toUpperCase());
    providerSignsIn(org.provider(), org.slug(), "intruder@elsewhere-" + id() + ".test");
    button(page, "Continue").click();
    assertThat(page).hasURL(Pattern.compile("/signin$"));
    assertThat(page.getByText("Your email address is not at one of your organisation’s verified domains")).isVisible();
    assertThat(page.locator("#account-menu")).isHidden();
    screenshot("sso-email-outside-domains");

    // An old start link starts nothing by itself: the sign-in page offers that organisation.
    page.navigate("/sso/" + org.slug() + "/start");
    assertThat(page).hasURL(Pattern.compile("/signin\\?sso=" + org.slug() + "$"));
    assertThat(ssoField()).hasValue(org.slug());
    assertThat(ssoField()).isFocused();

    // Every code the server sends back reads as a sentence, never as the code.
    for (String code : List.of("sso_not_found", "sso_state_invalid", "sso_expired", "sso_denied",
        "sso_exchange_failed", "sso_token_invalid", "sso_email_unverified", "sso_email_outside_domains", "sso_account_conflict",
        "sso_unavailable", "sso_failed", "server_unavailable", "no_such_code")) {
      page.navigate("/signin?sso_error=" + code);
      Locator alert = page.locator(".flash--danger");
      assertThat(alert).isVisible();
      assertThat(alert).not().containsText(code);
      assertThat(page).hasURL(Pattern.compile("/signin$"));
    }
  }

  @Test
  void an_owner_connects_the_organisation_to_its_provider_from_the_settings_page() {
    String slug = "acme-" + id();
    String domain = id() + ".test";
    MockOAuth2Server provider = new MockOAuth2Server();
    provider.start();
    try {
      ownerConnects(slug, domain, provider);
    } finally {
      provider.shutdown();
    }
  }

  private void ownerConnects(String slug, String domain, MockOAuth2Server provider) {
    BrowserContext colleagues = newContext();
    context.grantPermissions(List.of("clipboard-read", "clipboard-write"));
    Ui.signUp(page, "Olive Owner", "olive@" + domain, PASSWORD);
    Locator section = page.locator("#organisation");

    button(page, "Create an organisation").click();
    page.getByLabel("Organisation name").fill("Acme Corp");
    assertThat(page.getByLabel("Short name")).hasValue("acme-corp");
    page.getByLabel("Short name").fill(slug);
    screenshot("create-organisation");
    button(page, "Create organisation").click();
    assertThat(section.getByRole(AriaRole.HEADING,
        new Locator.GetByRoleOptions().setName("Acme Corp"))).isFocused();

    page.getByLabel("Email domain").fill(domain);
    button(page, "Add domain").click();
    Ui.confirmPassword(page, PASSWORD);
    Locator record = section.locator("dl.record").first();
    assertThat(record).containsText("_gatehouse-challenge." + domain);
    String name = record.locator("code").nth(0).innerText();
    String value = record.locator("code").nth(1).innerText();
    assertEquals("_gatehouse-challenge." + domain, name);
    button(page, "Copy value").click();
    assertEquals(value, page.evaluate("navigator.clipboard.readText()"));
    screenshot("txt-record");

    button(page, "Verify").click();
    assertThat(page.getByText("The TXT record is not there yet.")).isVisible();
    dns.putTxt(name, value);
    button(page, "Verify").click();
    assertThat(section.getByText("Verified", new Locator.GetByTextOptions().setExact(true))).isVisible();
    assertThat(button(page, "Verify")).hasCount(0);

    Locator issuer = page.getByLabel("Issuer URL");
    issuer.fill("http://127.0.0.1:" + freePort() + "/nobody-here");
    page.getByLabel("Client ID").fill("gatehouse-acme");
    page.getByLabel("Client secret").fill("s3cret-" + id());
    page.getByLabel("Members sign in with SSO").check();
    button(page, "Save SSO settings").click();
    assertThat(issuer).hasAttribute("aria-invalid", "true");
    assertThat(section.getByText("The identity provider cannot be used")).isVisible();

    issuer.fill(provider.issuerUrl(slug).toString());
    page.getByLabel("Client secret").fill("s3cret-" + id());
    button(page, "Save SSO settings").click();
    assertThat(section.getByText("A secret is set; it is never shown. Leave empty to keep it.")).isVisible();
    assertThat(section).containsText("Members sign in with SSO.");
    assertThat(page.getByLabel("Members sign in with SSO")).isChecked();
    assertThat(section.locator("dl.record code").first()).hasText(server.baseUrl() + "/sso/" + slug + "/callback");
    screenshot("sso-configured");

    // A colleague now signs in through the provider, and shows up among the members.
    Page colleague = colleagues.newPage();
    colleague.navigate("/signin");
    button(colleague, "Sign in with SSO").click();
    colleague.getByLabel("Work email or organisation").fill("sam@" + domain);
    providerSignsIn(provider, slug, "sam@" + domain);
    button(colleague, "Continue").click();
    assertThat(colleague).hasURL(Pattern.compile("/account$"));
    assertThat(colleague.locator("#organisation")).containsText("Acme Corp");
    colleagues.close();

    page.reload();
    assertThat(section).containsText("Members (2)");
    assertThat(section).containsText("sam@" + domain);
    assertThat(section).containsText("SSO only");
    screenshot("members");

    // Another issuer, the members carried over on purpose; every member's log says the provider changed.
    issuer.fill(provider.issuerUrl(slug + "-next").toString());
    page.getByLabel("With a new issuer, members SSO made keep their accounts (matched by email)").check();
    button(page, "Save SSO settings").click();
    assertThat(issuer).hasValue(provider.issuerUrl(slug + "-next").toString());
    assertThat(page.getByLabel("With a new issuer, members SSO made keep their accounts (matched by email)")).not().isChecked();
    page.navigate("/account/security-log");
    assertThat(page.getByText("Your organisation’s sign-in provider changed (issuer)")).isVisible();
    assertThat(page.getByText("Your organisation’s sign-in domain " + domain + " verified")).isVisible();
    screenshot("provider-changed-in-the-log");
  }
}
