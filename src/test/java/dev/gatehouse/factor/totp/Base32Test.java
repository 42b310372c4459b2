package dev.gatehouse.factor.totp;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class Base32Test {

  /** RFC 4648 section 10, with the padding removed as the key URI format wants. */
  @ParameterizedTest
  @CsvSource({"'', ''", "f, MY", "fo, MZXQ", "foo, MZXW6", "foob, MZXW6YQ", "fooba, MZXW6YTB",
      "foobar, MZXW6YTBOI"})
  void encodesRfc4648VectorsWithoutPadding(String plain, String encoded) {
    assertEquals(encoded, Base32.encode(plain.getBytes(StandardCharsets.US_ASCII)));
    assertArrayEquals(plain.getBytes(StandardCharsets.US_ASCII), Base32.decode(encoded).orElseThrow());
  }

  @Test
  void decodingForgivesLowercaseSpacesAndPadding() {
    byte[] foobar = "foobar".getBytes(StandardCharsets.US_ASCII);
    assertArrayEquals(foobar, Base32.decode("mzxw 6ytb oi").orElseThrow());
    assertArrayEquals(foobar, Base32.decode("MZXW6YTBOI======").orElseThrow());
    assertArrayEquals(foobar, Base32.decode(" mzxw-6ytb-oi ").orElseThrow());
  }

  @Test
  void decodingRefusesOtherCharacters() {
    assertTrue(Base32.decode("MZXW1").isEmpty());
    assertTrue(Base32.decode("MZXW8").isEmpty());
    assertTrue(Base32.decode("MZ=XW").isEmpty());
    assertTrue(Base32.decode("МZXW").isEmpty()); // Cyrillic М
    assertTrue(Base32.decode(null).isEmpty());
  }

  @Test
  void aGeneratedSecretIs160BitsAnd32Characters() {
    TotpSecret secret = TotpSecret.generate();
    assertEquals(20, secret.bytes().length);
    assertEquals(32, secret.base32().length());
    assertTrue(secret.base32().matches("[A-Z2-7]{32}"));
    assertArrayEquals(secret.bytes(), Base32.decode(secret.base32()).orElseThrow());
  }

  @Test
  void theSecretIsGroupedInFoursForTyping() {
    TotpSecret secret = TotpSecret.of(Base32.decode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP").orElseThrow());
    assertEquals("JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP", secret.grouped());
    assertArrayEquals(secret.bytes(), Base32.decode(secret.grouped()).orElseThrow());
  }

  @Test
  void secretsDoNotShowThemselvesInLogs() {
    TotpSecret secret = TotpSecret.generate();
    assertEquals("TotpSecret[redacted]", secret.toString());
  }

  @Test
  void secretsAreNotRepeated() {
    java.util.Set<String> seen = new java.util.HashSet<>();
    for (int i = 0; i < 1000; i++) {
      assertTrue(seen.add(TotpSecret.generate().base32()));
    }
  }
}
