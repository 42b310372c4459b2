package dev.gatehouse.factor.totp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class KeyUriTest {

  private static final TotpSecret SECRET =
      TotpSecret.of(Base32.decode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").orElseThrow());

  @Test
  void hasTheExactShapeOfTheKeyUriFormat() {
    assertEquals("otpauth://totp/Gatehouse:alice@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
            + "&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30",
        KeyUri.of("Gatehouse", "alice@example.com", SECRET));
  }

  @Test
  void spacesInTheLabelAreEncodedAsPercent20AndTheColonStaysLiteral() {
    String uri = KeyUri.of("Acme Corp", "Alice Smith@example.com", SECRET);
    URI parsed = URI.create(uri);
    assertEquals("otpauth", parsed.getScheme());
    assertEquals("totp", parsed.getHost());
    assertEquals("/Acme%20Corp:Alice%20Smith@example.com", parsed.getRawPath());
    assertEquals("/Acme Corp:Alice Smith@example.com", parsed.getPath());
    assertFalse(uri.contains("+"));
  }

  @Test
  void theIssuerAppearsInTheLabelAndTheQuery() {
    String uri = KeyUri.of("Acme & Co: Sign-in", "bob@example.com", SECRET);
    URI parsed = URI.create(uri);
    Map<String, String> query = query(parsed);
    assertEquals("Acme & Co: Sign-in", query.get("issuer"));
    // A colon inside the issuer is encoded, so the one literal colon still separates issuer from account.
    String label = parsed.getRawPath().substring(1);
    assertEquals(1, label.chars().filter(c -> c == ':').count());
    assertEquals("Acme & Co: Sign-in", URLDecoder.decode(label.substring(0, label.indexOf(':')),
        StandardCharsets.UTF_8));
    assertEquals("bob@example.com", label.substring(label.indexOf(':') + 1));
  }

  @Test
  void theQueryNamesTheStandardParametersAndTheSecretHasNoPadding() {
    Map<String, String> query = query(URI.create(KeyUri.of("Gatehouse", "a@b.c", TotpSecret.generate())));
    assertEquals(java.util.List.of("secret", "issuer", "algorithm", "digits", "period"),
        java.util.List.copyOf(query.keySet()));
    assertFalse(query.get("secret").contains("="));
    assertEquals(32, query.get("secret").length());
    assertEquals("SHA1", query.get("algorithm"));
    assertEquals("6", query.get("digits"));
    assertEquals("30", query.get("period"));
  }

  @Test
  void theSecretInTheUriIsTheKey() {
    TotpSecret secret = TotpSecret.generate();
    String encoded = query(URI.create(KeyUri.of("Gatehouse", "a@b.c", secret))).get("secret");
    assertArrayEquals(secret.bytes(), Base32.decode(encoded).orElseThrow());
  }

  @Test
  void nonAsciiIsPercentEncodedAsUtf8() {
    String uri = KeyUri.of("Gätehouse", "zoë@example.com", SECRET);
    assertEquals("/G%C3%A4tehouse:zo%C3%AB@example.com", URI.create(uri).getRawPath());
  }

  @Test
  void issuerAndAccountAreRequired() {
    assertThrows(IllegalArgumentException.class, () -> KeyUri.of("", "a@b.c", SECRET));
    assertThrows(IllegalArgumentException.class, () -> KeyUri.of("Gatehouse", " ", SECRET));
  }

  static Map<String, String> query(URI uri) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String pair : uri.getRawQuery().split("&")) {
      int eq = pair.indexOf('=');
      out.put(pair.substring(0, eq), URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }
}
