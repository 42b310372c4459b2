package dev.gatehouse.factor.totp;

import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The HOTP function of RFC 4226, written once: TOTP (RFC 6238) is this with the time step as counter.
 * The counter is a full 64-bit value, so dates past 2038 (and RFC 6238's 20000000000 vector) work.
 */
public final class Hotp {

  private static final int[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000};

  /** One Mac per algorithm per thread: looking one up costs more than the HMAC of a 6-digit code. */
  private static final ThreadLocal<Mac[]> MACS = ThreadLocal.withInitial(() -> {
    TotpAlgorithm[] algorithms = TotpAlgorithm.values();
    Mac[] macs = new Mac[algorithms.length];
    for (TotpAlgorithm algorithm : algorithms) {
      try {
        macs[algorithm.ordinal()] = Mac.getInstance(algorithm.jcaName());
      } catch (NoSuchAlgorithmException e) {
        // Every JDK ships these MACs.
        throw new IllegalStateException("HMAC unavailable for " + algorithm, e);
      }
    }
    return macs;
  });

  private Hotp() {
  }

  /** The code for one counter value, zero-padded to {@code digits} (6 to 8) ASCII digits. */
  public static String code(byte[] key, long counter, int digits, TotpAlgorithm algorithm) {
    if (digits < 6 || digits > 8) {
      throw new IllegalArgumentException("digits must be 6, 7 or 8");
    }
    byte[] hash = mac(key, counter, algorithm);
    // Dynamic truncation, RFC 4226 section 5.3: the low nibble of the last byte picks 4 bytes.
    int offset = hash[hash.length - 1] & 0x0f;
    int binary = ((hash[offset] & 0x7f) << 24)
        | ((hash[offset + 1] & 0xff) << 16)
        | ((hash[offset + 2] & 0xff) << 8)
        | (hash[offset + 3] & 0xff);
    int value = binary % POWERS_OF_TEN[digits];
    char[] out = new char[digits];
    for (int i = digits - 1; i >= 0; i--) {
      out[i] = (char) ('0' + value % 10);
      value /= 10;
    }
    return new String(out);
  }

  private static byte[] mac(byte[] key, long counter, TotpAlgorithm algorithm) {
    byte[] message = new byte[8];
    for (int i = 7; i >= 0; i--) {
      message[i] = (byte) counter;
      counter >>>= 8;
    }
    try {
      Mac mac = MACS.get()[algorithm.ordinal()];
      mac.init(new SecretKeySpec(key, algorithm.jcaName()));
      return mac.doFinal(message);
    } catch (InvalidKeyException e) {
      // An empty key is the only way here, and that is a programming error.
      throw new IllegalStateException("HMAC unavailable for " + algorithm, e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
