package dev.gatehouse.factor.totp;

import java.nio.charset.StandardCharsets;

/**
 * The otpauth:// URI that authenticator apps read from the QR code (Google Authenticator key URI format,
 * docs/security.md 6). vertx-auth-otp's own generator encodes spaces as '+', which apps show literally.
 */
public final class KeyUri {

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private KeyUri() {
  }

  /**
   * {@code otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30}:
   * the issuer appears in the label and the query so old and new apps both show it.
   */
  public static String of(String issuer, String account, TotpSecret secret, Totp totp) {
    if (issuer == null || issuer.isBlank() || account == null || account.isBlank()) {
      throw new IllegalArgumentException("issuer and account are required");
    }
    return "otpauth://totp/" + encode(issuer) + ":" + encode(account)
        + "?secret=" + secret.base32()
        + "&issuer=" + encode(issuer)
        + "&algorithm=" + totp.algorithm().uriName()
        + "&digits=" + totp.digits()
        + "&period=" + totp.periodSeconds();
  }

  public static String of(String issuer, String account, TotpSecret secret) {
    return of(issuer, account, secret, Totp.STANDARD);
  }

  /**
   * Percent-encodes all but RFC 3986 unreserved characters and '@' (emails read naturally in the label),
   * so a ':' inside the issuer or account cannot be mistaken for the separator and a space is %20.
   */
  static String encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      int c = b & 0xff;
      boolean plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
          || c == '-' || c == '.' || c == '_' || c == '~' || c == '@';
      if (plain) {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >>> 4]).append(HEX[c & 0x0f]);
      }
    }
    return out.toString();
  }
}
