package dev.gatehouse.factor.recovery;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * One single-use recovery code: 80 random bits in Crockford base32 (no I, L, O or U, so nothing reads as
 * something else), shown as {@code xxxx-xxxx-xxxx-xxxx}. Its {@link #toString()} never shows the code.
 */
public final class RecoveryCode {

  /** Codes handed out per set (docs/security.md 18). */
  public static final int SET_SIZE = 10;

  /** Random bits per code: above the 64 that docs/security.md 18 asks for, and exactly 16 symbols. */
  public static final int BITS = 80;

  static final int LENGTH = BITS / 5;
  static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

  /** Input longer than this cannot be a code, however it is spaced; refused before it is looked at. */
  static final int MAX_INPUT_LENGTH = 64;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** The 16 uppercase symbols: what the lookup HMAC is computed over. */
  private final String canonical;

  private RecoveryCode(String canonical) {
    this.canonical = canonical;
  }

  public static RecoveryCode generate() {
    return generate(RANDOM);
  }

  public static RecoveryCode generate(SecureRandom random) {
    byte[] bytes = new byte[BITS / 8];
    random.nextBytes(bytes);
    StringBuilder out = new StringBuilder(LENGTH);
    int buffer = 0;
    int bits = 0;
    for (byte b : bytes) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(ALPHABET.charAt((buffer >>> (bits - 5)) & 0x1f));
        bits -= 5;
      }
    }
    return new RecoveryCode(out.toString());
  }

  /** A fresh set of {@link #SET_SIZE} distinct codes. */
  public static List<RecoveryCode> generateSet() {
    Set<String> seen = new LinkedHashSet<>();
    List<RecoveryCode> codes = new ArrayList<>(SET_SIZE);
    while (codes.size() < SET_SIZE) {
      RecoveryCode code = generate();
      if (seen.add(code.canonical)) {
        codes.add(code);
      }
    }
    return codes;
  }

  /**
   * Reads what a person typed: case does not matter, spaces and hyphens are ignored, and O reads as 0,
   * I and L as 1 (Crockford's rule). Anything else, or the wrong length, is malformed.
   */
  public static Optional<RecoveryCode> parse(String input) {
    if (input == null || input.length() > MAX_INPUT_LENGTH) {
      return Optional.empty();
    }
    StringBuilder out = new StringBuilder(LENGTH);
    for (int i = 0; i < input.length(); i++) {
      char c = input.charAt(i);
      if (c == '-' || Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        continue;
      }
      char symbol = switch (c) {
        case 'o', 'O' -> '0';
        case 'i', 'I', 'l', 'L' -> '1';
        default -> c < 128 ? Character.toUpperCase(c) : '?';
      };
      if (ALPHABET.indexOf(symbol) < 0 || out.length() == LENGTH) {
        return Optional.empty();
      }
      out.append(symbol);
    }
    return out.length() == LENGTH ? Optional.of(new RecoveryCode(out.toString())) : Optional.empty();
  }

  /** The 16 uppercase symbols without separators, the one form a code is stored and looked up by. */
  public String canonical() {
    return canonical;
  }

  /** Lowercase in groups of four: lowercase reads faster, and the alphabet has no l/1 or o/0 pairs. */
  public String display() {
    String lower = canonical.toLowerCase(Locale.ROOT);
    return lower.substring(0, 4) + "-" + lower.substring(4, 8) + "-" + lower.substring(8, 12) + "-"
        + lower.substring(12, 16);
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof RecoveryCode that && java.security.MessageDigest.isEqual(
        canonical.getBytes(java.nio.charset.StandardCharsets.US_ASCII),
        that.canonical.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  }

  @Override
  public int hashCode() {
    return canonical.hashCode();
  }

  @Override
  public String toString() {
    return "RecoveryCode[redacted]";
  }
}
