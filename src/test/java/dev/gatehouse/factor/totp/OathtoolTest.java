package dev.gatehouse.factor.totp;

import dev.gatehouse.support.ExternalTool;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Our codes against oathtool (Debian package oathtool), an implementation we did not write. */
class OathtoolTest {

  private static final long[] TIMES = {0, 59, 1_111_111_109L, 1_700_000_000L, 1_700_000_029L, 1_700_000_030L,
      2_000_000_000L, 4_102_444_800L, 20_000_000_000L};

  @BeforeAll
  static void oathtoolIsInstalled() {
    ExternalTool.require("oathtool", "oathtool");
  }

  @Test
  void sixDigitSha1CodesOfRandomSecretsMatch() throws Exception {
    for (int i = 0; i < 3; i++) {
      TotpSecret secret = TotpSecret.generate();
      for (long time : TIMES) {
        assertEquals(oathtool("--totp", "-b", "-N", "@" + time, secret.base32()),
            Totp.STANDARD.codeAt(secret.bytes(), time), "at " + time);
      }
    }
  }

  @Test
  void sha256AndSha512CodesMatch() throws Exception {
    for (TotpAlgorithm algorithm : new TotpAlgorithm[] {TotpAlgorithm.SHA256, TotpAlgorithm.SHA512}) {
      byte[] key = algorithm == TotpAlgorithm.SHA256 ? TotpTest.SHA256_SEED : TotpTest.SHA512_SEED;
      for (long time : TIMES) {
        assertEquals(oathtool("--totp=" + algorithm.name().toLowerCase(java.util.Locale.ROOT), "-d", "8", "-N",
            "@" + time, HexFormat.of().formatHex(key)), new Totp(algorithm, 8, 30).codeAt(key, time),
            algorithm + " at " + time);
      }
    }
  }

  private static String oathtool(String... args) throws IOException, InterruptedException {
    String[] command = new String[args.length + 1];
    command[0] = "oathtool";
    System.arraycopy(args, 0, command, 1, args.length);
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
    assumeTrue(process.waitFor(10, TimeUnit.SECONDS), "oathtool did not finish");
    assertEquals(0, process.exitValue(), "oathtool failed: " + out);
    return out;
  }
}
