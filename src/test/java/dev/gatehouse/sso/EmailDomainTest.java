package dev.gatehouse.sso;

import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;

class EmailDomainTest {

  @Test
  void domains_are_lower_case_ascii_with_at_least_two_labels() {
    assertEquals(Optional.of("example.com"), EmailDomain.normalise(" Example.COM "));
    assertEquals(Optional.of("xn--bcher-kva.example"), EmailDomain.normalise("bücher.example"));
    assertEquals(Optional.of("mail.example.co.uk"), EmailDomain.normalise("mail.example.co.uk"));
    for (String bad : new String[] {"", "localhost", "example.com.", "-x.com", "x-.com", "a..b", "10.0.0.1",
        "exa mple.com", "x_y.com", "@example.com", "a".repeat(64) + ".com", null}) {
      assertEquals(Optional.empty(), EmailDomain.normalise(bad), String.valueOf(bad));
    }
  }

  @Test
  void the_domain_of_an_email_is_after_the_last_at() {
    assertEquals(Optional.of("example.com"), EmailDomain.of("ann@example.com"));
    assertEquals(Optional.empty(), EmailDomain.of("no-at-sign"));
  }
}
