package dev.gatehouse.factor.totp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HotpTest {

  private static final byte[] RFC4226_KEY = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);

  @Test
  void matchesEveryRfc4226AppendixDVector() {
    String[] expected = {"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489"};
    for (int counter = 0; counter < expected.length; counter++) {
      assertEquals(expected[counter], Hotp.code(RFC4226_KEY, counter, 6, TotpAlgorithm.SHA1), "counter " + counter);
    }
  }

  @Test
  void padsWithLeadingZeros() {
    // RFC 6238's SHA1 code at 1111111109 is 07081804: the leading zero must survive.
    assertEquals("07081804", Hotp.code(RFC4226_KEY, 1111111109L / 30, 8, TotpAlgorithm.SHA1));
  }

  @Test
  void refusesDigitCountsOutsideSixToEight() {
    assertThrows(IllegalArgumentException.class, () -> Hotp.code(RFC4226_KEY, 0, 5, TotpAlgorithm.SHA1));
    assertThrows(IllegalArgumentException.class, () -> Hotp.code(RFC4226_KEY, 0, 9, TotpAlgorithm.SHA1));
  }
}
