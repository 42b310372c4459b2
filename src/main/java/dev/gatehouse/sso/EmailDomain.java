package dev.gatehouse.sso;

import java.net.IDN;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * An email domain as organisations claim it and as emails are matched against it: lower-case ASCII
 * (internationalised names in punycode), at least two labels, no IP address, no trailing dot.
 */
public final class EmailDomain {

  private static final Pattern LABEL = Pattern.compile("^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$");
  private static final Pattern ALL_DIGITS = Pattern.compile("^[0-9]+$");
  private static final int MAX_LENGTH = 253;

  private EmailDomain() {
  }

  /** The normalised domain, or empty when the input is not a domain name an email can be at. */
  public static Optional<String> normalise(String input) {
    if (input == null) {
      return Optional.empty();
    }
    String trimmed = input.strip();
    if (trimmed.isEmpty() || trimmed.length() > MAX_LENGTH || trimmed.endsWith(".")) {
      return Optional.empty();
    }
    String ascii;
    try {
      ascii = IDN.toASCII(trimmed, IDN.USE_STD3_ASCII_RULES).toLowerCase(Locale.ROOT);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    String[] labels = ascii.split("\\.", -1);
    if (labels.length < 2 || ascii.length() > MAX_LENGTH) {
      return Optional.empty();
    }
    for (String label : labels) {
      if (!LABEL.matcher(label).matches()) {
        return Optional.empty();
      }
    }
    if (ALL_DIGITS.matcher(labels[labels.length - 1]).matches()) {
      return Optional.empty(); // an IPv4 address, not a domain
    }
    return Optional.of(ascii);
  }

  /** The domain part of an already normalised email address. */
  public static Optional<String> of(String email) {
    int at = email == null ? -1 : email.lastIndexOf('@');
    return at < 0 ? Optional.empty() : normalise(email.substring(at + 1));
  }
}
