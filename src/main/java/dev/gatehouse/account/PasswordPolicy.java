package dev.gatehouse.account;

import dev.gatehouse.http.Problem;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Password rules per NIST SP 800-63B (docs/security.md 22): 8 to 256 characters, no composition rules,
 * nothing silently truncated, and not one of the most common passwords.
 */
public final class PasswordPolicy {

  public static final int MIN_LENGTH = 8;
  public static final int MAX_LENGTH = 256;

  private final Set<String> blocklist;

  private PasswordPolicy(Set<String> blocklist) {
    this.blocklist = blocklist;
  }

  public static PasswordPolicy load() {
    Set<String> words = new HashSet<>();
    try (InputStream in = PasswordPolicy.class.getResourceAsStream("/common-passwords.txt")) {
      if (in != null) {
        BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          if (!line.isBlank()) {
            words.add(line.trim().toLowerCase(Locale.ROOT));
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new PasswordPolicy(Set.copyOf(words));
  }

  /** Refuses a new password that breaks a rule, with a message that says which. */
  public void check(String password, String email) {
    int length = password.codePointCount(0, password.length());
    if (length < MIN_LENGTH) {
      throw Problem.badRequest("weak_password", "Use at least " + MIN_LENGTH + " characters.").with("field", "password");
    }
    if (length > MAX_LENGTH) {
      throw Problem.badRequest("weak_password", "Use at most " + MAX_LENGTH + " characters.").with("field", "password");
    }
    String folded = Normalizer.normalize(password, Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
    if (blocklist.contains(folded)) {
      throw Problem.badRequest("weak_password", "This password is too common. Choose another one.")
          .with("field", "password");
    }
    if (email != null && (folded.equals(email) || folded.equals(email.substring(0, email.indexOf('@'))))) {
      throw Problem.badRequest("weak_password", "Don't use your email address as your password.")
          .with("field", "password");
    }
  }
}
