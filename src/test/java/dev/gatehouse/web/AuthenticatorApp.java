package dev.gatehouse.web;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Locale;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * What a phone's authenticator app does with the setup key (RFC 6238, SHA1, 6 digits,
 * 30 s), kept independent of the server's own TOTP code so the browser tests check
 * it rather than repeat it. A code is single-use, so it hands out each time step once.
 */
final class AuthenticatorApp {

  private final byte[] key;
  private long lastStep = Long.MIN_VALUE;

  AuthenticatorApp(String base32Secret) {
    this.key = base32(base32Secret);
  }

  /**
   * A code the server has not seen yet: the current step, or the next one (the server
   * accepts one step either side), waiting for the clock when both are used up.
   */
  String nextCode() throws InterruptedException {
    long step = Math.max(lastStep + 1, currentStep());
    while (step > currentStep() + 1) {
      Thread.sleep(500);
    }
    lastStep = step;
    return codeAt(step);
  }

  /** Six digits that no step within the server's clock-skew search (±10 minutes) would produce. */
  String wrongCode() {
    long now = currentStep();
    java.util.Set<String> near = new java.util.HashSet<>();
    for (long step = now - 22; step <= now + 22; step++) {
      near.add(codeAt(step));
    }
    for (int candidate = 0; ; candidate++) {
      String guess = String.format("%06d", (candidate * 137_911) % 1_000_000);
      if (!near.contains(guess)) {
        return guess;
      }
    }
  }

  /** The code of a phone whose clock runs {@code minutes} slow. */
  String codeOfAClockBehind(int minutes) {
    return codeAt(currentStep() - 2L * minutes);
  }

  private static long currentStep() {
    return Math.floorDiv(System.currentTimeMillis() / 1000, 30);
  }

  String codeAt(long step) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(key, "HmacSHA1"));
      byte[] hash = mac.doFinal(ByteBuffer.allocate(8).putLong(step).array());
      int offset = hash[hash.length - 1] & 0x0f;
      int binary = ((hash[offset] & 0x7f) << 24) | ((hash[offset + 1] & 0xff) << 16)
          | ((hash[offset + 2] & 0xff) << 8) | (hash[offset + 3] & 0xff);
      return String.format("%06d", binary % 1_000_000);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] base32(String text) {
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    String clean = text.replaceAll("[\\s=-]", "").toUpperCase(Locale.ROOT);
    ByteBuffer out = ByteBuffer.allocate(clean.length() * 5 / 8);
    int buffer = 0;
    int bits = 0;
    for (char c : clean.toCharArray()) {
      int value = alphabet.indexOf(c);
      if (value < 0) throw new IllegalArgumentException("not base32: " + c);
      buffer = (buffer << 5) | value;
      bits += 5;
      if (bits >= 8) {
        out.put((byte) (buffer >> (bits - 8)));
        bits -= 8;
      }
    }
    return out.array();
  }
}
