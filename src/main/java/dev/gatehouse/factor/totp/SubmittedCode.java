package dev.gatehouse.factor.totp;

import java.util.Optional;

/** What a person typed into the code field, reduced to the digits or refused as malformed (docs/security.md 3). */
public final class SubmittedCode {

  /** Longer input is refused before looking at it: no code with spaces needs more than this. */
  static final int MAX_INPUT_LENGTH = 64;

  private SubmittedCode() {
  }

  /**
   * Strips whitespace (people paste "123 456"), then demands exactly {@code digits} ASCII digits.
   * Other scripts' digits are refused on purpose: {@link Character#isDigit} would let "١٢٣٤٥٦" through.
   */
  public static Optional<String> normalise(String input, int digits) {
    if (input == null || input.length() > MAX_INPUT_LENGTH) {
      return Optional.empty();
    }
    StringBuilder kept = new StringBuilder(digits);
    for (int i = 0; i < input.length(); i++) {
      char c = input.charAt(i);
      if (Character.isWhitespace(c) || Character.isSpaceChar(c)) {
        continue;
      }
      if (c < '0' || c > '9' || kept.length() == digits) {
        return Optional.empty();
      }
      kept.append(c);
    }
    return kept.length() == digits ? Optional.of(kept.toString()) : Optional.empty();
  }

  /** The same for the 6-digit codes Gatehouse issues. */
  public static Optional<String> normalise(String input) {
    return normalise(input, Totp.STANDARD.digits());
  }
}
