package dev.gatehouse.factor.totp;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TotpTest {

  static final byte[] SHA1_SEED = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);
  static final byte[] SHA256_SEED = "12345678901234567890123456789012".getBytes(StandardCharsets.US_ASCII);
  static final byte[] SHA512_SEED = ("1234567890".repeat(6) + "1234").getBytes(StandardCharsets.US_ASCII);

  @ParameterizedTest(name = "RFC 6238 at {0}")
  @CsvSource({
      "59,          94287082, 46119246, 90693936",
      "1111111109,  07081804, 68084774, 25091201",
      "1111111111,  14050471, 67062674, 99943326",
      "1234567890,  89005924, 91819424, 93441116",
      "2000000000,  69279037, 90698825, 38618901",
      "20000000000, 65353130, 77737706, 47863826",
  })
  void matchesEveryRfc6238AppendixBVector(long time, String sha1, String sha256, String sha512) {
    assertEquals(sha1, new Totp(TotpAlgorithm.SHA1, 8, 30).codeAt(SHA1_SEED, time));
    assertEquals(sha256, new Totp(TotpAlgorithm.SHA256, 8, 30).codeAt(SHA256_SEED, time));
    assertEquals(sha512, new Totp(TotpAlgorithm.SHA512, 8, 30).codeAt(SHA512_SEED, time));
  }

  @ParameterizedTest
  @CsvSource({"0, 0", "29, 0", "30, 1", "59, 1", "20000000000, 666666666", "-1, -1"})
  void stepsAreFloorOfThirtySeconds(long time, long step) {
    assertEquals(step, Totp.STANDARD.step(time));
  }
}
