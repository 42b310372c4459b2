package dev.gatehouse.factor.totp;

import java.util.Optional;

/**
 * RFC 4648 base32, the alphabet of TOTP setup keys: uppercase, no padding (the key URI format wants none).
 * Decoding forgives what people do when they type a key: lowercase, spaces, hyphens, trailing '='.
 */
public final class Base32 {

  private static final char[] ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();
  private static final int[] VALUES = new int[128];

  static {
    java.util.Arrays.fill(VALUES, -1);
    for (int i = 0; i < ALPHABET.length; i++) {
      VALUES[ALPHABET[i]] = i;
      VALUES[Character.toLowerCase(ALPHABET[i])] = i;
    }
  }

  private Base32() {
  }

  public static String encode(byte[] data) {
    StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
    int buffer = 0;
    int bits = 0;
    for (byte b : data) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(ALPHABET[(buffer >>> (bits - 5)) & 0x1f]);
        bits -= 5;
      }
    }
    if (bits > 0) {
      out.append(ALPHABET[(buffer << (5 - bits)) & 0x1f]);
    }
    return out.toString();
  }

  /** The bytes, or empty when the text holds anything but base32 letters, spacing and end padding. */
  public static Optional<byte[]> decode(String text) {
    if (text == null) {
      return Optional.empty();
    }
    String trimmed = text.strip();
    int end = trimmed.length();
    while (end > 0 && trimmed.charAt(end - 1) == '=') {
      end--;
    }
    byte[] out = new byte[end * 5 / 8];
    int length = 0;
    int buffer = 0;
    int bits = 0;
    for (int i = 0; i < end; i++) {
      char c = trimmed.charAt(i);
      if (c == ' ' || c == '-' || c == '\t') {
        continue;
      }
      int value = c < 128 ? VALUES[c] : -1;
      if (value < 0) {
        return Optional.empty();
      }
      buffer = (buffer << 5) | value;
      bits += 5;
      if (bits >= 8) {
        out[length++] = (byte) (buffer >>> (bits - 8));
        bits -= 8;
      }
    }
    return Optional.of(java.util.Arrays.copyOf(out, length));
  }
}
