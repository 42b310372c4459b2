package dev.gatehouse.factor.totp;

/** The HMAC behind a one-time code; RFC 6238 allows all three, authenticator apps mostly know SHA1. */
public enum TotpAlgorithm {
  SHA1("HmacSHA1"),
  SHA256("HmacSHA256"),
  SHA512("HmacSHA512");

  private final String jcaName;

  TotpAlgorithm(String jcaName) {
    this.jcaName = jcaName;
  }

  /** The name the JCA knows the MAC by. */
  public String jcaName() {
    return jcaName;
  }

  /** The name the key URI format uses in {@code algorithm=}. */
  public String uriName() {
    return name();
  }
}
