package dev.gatehouse.factor.totp;

import java.security.SecureRandom;
import java.util.Arrays;

/**
 * The shared secret behind an authenticator app: the seed's "secret key" or "setup key".
 * Its {@link #toString()} never shows the key, so it cannot slip into a log line.
 */
public final class TotpSecret {

  /** 160 bits, the HMAC-SHA1 block-friendly size RFC 4226 recommends (docs/security.md 5). */
  public static final int BYTES = 20;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final byte[] key;

  private TotpSecret(byte[] key) {
    this.key = key.clone();
  }

  public static TotpSecret generate() {
    return generate(RANDOM);
  }

  public static TotpSecret generate(SecureRandom random) {
    byte[] key = new byte[BYTES];
    random.nextBytes(key);
    return new TotpSecret(key);
  }

  public static TotpSecret of(byte[] key) {
    if (key == null || key.length == 0) {
      throw new IllegalArgumentException("a TOTP secret needs at least one byte");
    }
    return new TotpSecret(key);
  }

  /** A copy of the raw key. */
  public byte[] bytes() {
    return key.clone();
  }

  /** Base32 without padding, as apps and the otpauth URI expect. */
  public String base32() {
    return Base32.encode(key);
  }

  /** The base32 key in groups of four ("ABCD EFGH …") for typing it into an app by hand. */
  public String grouped() {
    return groupInFours(base32());
  }

  static String groupInFours(String text) {
    StringBuilder out = new StringBuilder(text.length() + text.length() / 4);
    for (int i = 0; i < text.length(); i++) {
      if (i > 0 && i % 4 == 0) {
        out.append(' ');
      }
      out.append(text.charAt(i));
    }
    return out.toString();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof TotpSecret that && java.security.MessageDigest.isEqual(key, that.key);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key);
  }

  @Override
  public String toString() {
    return "TotpSecret[redacted]";
  }
}
