package dev.gatehouse.metrics;

import dev.gatehouse.factor.totp.TwoFactorUser;
import dev.gatehouse.support.Browser;
import dev.gatehouse.support.Browser.Response;
import dev.gatehouse.support.Emails;
import dev.gatehouse.support.MutableClock;
import dev.gatehouse.support.Scrape;
import dev.gatehouse.support.ServerFixture;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * What an operator's Prometheus sees on the management listener (docs/security.md 42 for the labels):
 * Gatehouse's counters move with sign-ins, Vert.x's HTTP and pool meters are there, and nothing of
 * it is served on the public port.
 */
class MetricsTest {

  static final MutableClock CLOCK = MutableClock.startingNow();
  // A low account budget so that a block is quick to cause.
  @RegisterExtension
  static final ServerFixture server = ServerFixture.startMetered(new JsonObject().put("GATEHOUSE_PASSWORD_ACCOUNT_LIMIT", 3), CLOCK);

  @Test
  void a_password_sign_in_moves_the_sign_in_session_and_problem_counters() {
    String email = Emails.unique("metered");
    Browser b = server.browser();
    assertEquals(201, b.signUp(email, TwoFactorUser.PASSWORD).status());
    Scrape before = Scrape.of(server.managementUrl());

    assertEquals(401, b.signIn(email, "not the password").status());
    assertEquals(200, b.signIn(email, TwoFactorUser.PASSWORD).status());
    assertEquals(204, b.delete("/api/session").status());

    Scrape after = Scrape.of(server.managementUrl());
    
    assertEquals(1, delta(before, after, "gatehouse_sign_ins_total", "method", "password", "outcome", "signed_in"));
    assertEquals(1, delta(before, after, "gatehouse_sign_ins_total", "method", "password",
        "outcome", "invalid_credentials"));
    assertEquals(1, delta(before, after, "gatehouse_sessions_started_total", "method", "password"));
    assertEquals(1, delta(before, after, "gatehouse_sessions_ended_total", "reason", "signed_out"));
    assertEquals(1, delta(before, after, "gatehouse_problems_total", "status", "401", "code", "invalid_credentials"));
    // Vert.x's own meters, labelled by the matched route, never by the path.
    assertTrue(delta(before, after, "vertx_http_server_requests_total", "route", "/api/session", "method", "POST",
        "code", "200") >= 1, after.text());
    assertTrue(after.has("vertx_pool_in_use", "pool_type", "sql"), "the SQL pool's meters are scraped");
    assertTrue(after.has("gatehouse_hash_queue") && after.has("gatehouse_hash_busy"), "the hashing pool's gauges");
    assertTrue(after.value("gatehouse_hash_duration_seconds_count") >= 2, "the hashes are timed");
  }

  @Test
  void a_second_step_is_counted_by_method_and_outcome() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Scrape before = Scrape.of(server.managementUrl());
    Browser pending = user.pending();
    assertEquals(401, TwoFactorUser.secondStep(pending, "code", user.wrongCode()).status());
    assertEquals(200, TwoFactorUser.secondStep(pending, "code", user.code()).status());
    Browser again = user.pending();
    assertEquals(200, TwoFactorUser.secondStep(again, "recoveryCode", user.recoveryCodes.get(0)).status());

    Scrape after = Scrape.of(server.managementUrl());
    assertEquals(2, delta(before, after, "gatehouse_sign_ins_total", "method", "password",
        "outcome", "two_factor_required"));
    assertEquals(1, delta(before, after, "gatehouse_second_steps_total", "method", "totp", "outcome", "invalid_code"));
    assertEquals(1, delta(before, after, "gatehouse_second_steps_total", "method", "totp", "outcome", "signed_in"));
    assertEquals(1, delta(before, after, "gatehouse_second_steps_total", "method", "recovery_code",
        "outcome", "signed_in"));
    assertEquals(1, delta(before, after, "gatehouse_sessions_started_total", "method", "totp"));
    assertEquals(1, delta(before, after, "gatehouse_sessions_started_total", "method", "recovery_code"));
  }

  @Test
  void a_used_up_budget_is_counted_as_a_block_of_that_budget() {
    String email = Emails.unique("blocked");
    Scrape before = Scrape.of(server.managementUrl());
    Response last = null;
    for (int i = 0; i < 3; i++) {
      last = server.browser().signIn(email, "guess number " + i);
    }
    assertEquals(429, last.status(), last.toString());
    assertEquals(429, server.browser().signIn(email, "one more").status());

    Scrape after = Scrape.of(server.managementUrl());
    assertEquals(1, delta(before, after, "gatehouse_budget_blocks_total", "budget", "password_account"));
    assertEquals(2, delta(before, after, "gatehouse_problems_total", "status", "429", "code", "too_many_attempts"));
    assertEquals(2, delta(before, after, "gatehouse_sign_ins_total", "method", "password",
        "outcome", "too_many_attempts"));
  }

  @Test
  void no_label_carries_an_email_a_user_id_or_an_address() {
    TwoFactorUser user = TwoFactorUser.enrolled(server, CLOCK);
    Browser b = user.pending();
    assertEquals(200, TwoFactorUser.secondStep(b, "code", user.code()).status());
    String userId = b.get("/api/me").json().getJsonObject("user").getString("id");
    server.browser().signIn(Emails.unique("nobody"), "wrong password").status();
    server.browser().get("/api/orgs/" + user.email + "/members");

    Scrape scrape = Scrape.of(server.managementUrl());
    Pattern uuid = Pattern.compile("[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}");
    Pattern ipv4 = Pattern.compile("\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}");
    Pattern ipv6 = Pattern.compile("[0-9a-fA-F]{0,4}:[0-9a-fA-F]{0,4}:[0-9a-fA-F:]*");
    List<String> values = new ArrayList<>();
    scrape.samples().forEach(s -> values.addAll(s.labels().values()));
    assertFalse(values.isEmpty());
    for (String value : values) {
      assertFalse(value.contains("@"), "an email in a label: " + value);
      assertFalse(uuid.matcher(value).find(), "a user id in a label: " + value);
      assertFalse(ipv4.matcher(value).find() || ipv6.matcher(value).find(), "an address in a label: " + value);
    }
    assertFalse(scrape.text().contains(user.email) || scrape.text().contains(userId), "the user in the scrape");
    assertTrue(scrape.contentType().startsWith("text/plain"), scrape.contentType());
  }

  @Test
  void the_public_port_serves_no_metrics_and_the_management_port_serves_health() {
    Response metrics = server.browser().get("/metrics");
    assertFalse(metrics.body().contains("# TYPE") || metrics.body().contains("gatehouse_"), "metrics on the public port");
    Browser management = new Browser(server.managementUrl());
    assertEquals(200, management.get("/health/live").status());
    Response ready = management.get("/health/ready");
    assertEquals(200, ready.status(), ready.toString());
    assertEquals("UP", ready.json().getString("database"));
    assertEquals(404, management.get("/api/me").status(), "no application routes on the management port");
  }

  @Test
  void the_management_listener_is_on_loopback_only() throws Exception {
    Optional<InetAddress> outside = nonLoopbackAddress();
    assumeTrue(outside.isPresent(), "this machine has no non-loopback IPv4 address to try");
    int port = server.app().managementPort();
    assertThrows(java.io.IOException.class, () -> {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(outside.get(), port), 2000);
      }
    }, "the management port answered on " + outside.get());
  }

  @Test
  void sessions_a_credential_change_ends_are_counted_and_a_refused_change_counts_none() {
    String email = Emails.unique("metered-change");
    assertEquals(201, server.browser().signUp(email, TwoFactorUser.PASSWORD).status());
    Browser here = server.browser();
    assertEquals(200, here.signIn(email, TwoFactorUser.PASSWORD).status());
    Browser laptop = server.browser();
    Browser phone = server.browser();
    assertEquals(200, laptop.signIn(email, TwoFactorUser.PASSWORD).status());
    assertEquals(200, phone.signIn(email, TwoFactorUser.PASSWORD).status());
    Scrape before = Scrape.of(server.managementUrl());

    Response refused = here.put("/api/me/password", new JsonObject().put("currentPassword", "not the password")
        .put("newPassword", "a new and long passphrase"));
    assertEquals(401, refused.status(), refused.toString());
    assertEquals(200, laptop.get("/api/me").status(), "a refused change ends nothing");
    Scrape afterRefused = Scrape.of(server.managementUrl());
    assertEquals(0, delta(before, afterRefused, "gatehouse_sessions_ended_total", "reason", "credential_changed"));

    Response changed = here.put("/api/me/password", new JsonObject().put("currentPassword", TwoFactorUser.PASSWORD)
        .put("newPassword", "a new and long passphrase"));
    assertEquals(204, changed.status(), changed.toString());
    assertEquals(401, laptop.get("/api/me").status(), "the laptop's session ended");
    // Counted once the answer has gone out, which the client may see a moment before the server does.
    long deadline = System.currentTimeMillis() + 2_000;
    Scrape after = Scrape.of(server.managementUrl());
    while (delta(before, after, "gatehouse_sessions_ended_total", "reason", "credential_changed") < 2
        && System.currentTimeMillis() < deadline) {
      after = Scrape.of(server.managementUrl());
    }
    assertEquals(2, delta(before, after, "gatehouse_sessions_ended_total", "reason", "credential_changed"));
  }

  @Test
  void the_vocabulary_guard_turns_anything_but_a_short_word_into_other() {
    assertEquals("invalid_code", Metrics.word("invalid_code"));
    assertEquals("other", Metrics.word("someone@example.com"));
    assertEquals("other", Metrics.word("0f8fad5b-d9cb-469f-a165-70867728950e"));
    assertEquals("other", Metrics.word("0f8fad5bd9cb469fa16570867728950e"));
    assertEquals("other", Metrics.word("203.0.113.7"));
    assertEquals("other", Metrics.word("2001:db8::1"));
    assertEquals("other", Metrics.word(null));
  }

  private static double delta(Scrape before, Scrape after, String name, String... labels) {
    return after.value(name, labels) - before.value(name, labels);
  }

  private static Optional<InetAddress> nonLoopbackAddress() throws Exception {
    for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
      if (!nic.isUp() || nic.isLoopback()) {
        continue;
      }
      for (InetAddress address : Collections.list(nic.getInetAddresses())) {
        if (address instanceof Inet4Address) {
          return Optional.of(address);
        }
      }
    }
    return Optional.empty();
  }
}
