package dev.gatehouse.sso;

import io.vertx.sqlclient.Row;

import java.util.UUID;

/** An organisation as stored, with its SSO configuration (the client secret still sealed). */
public record Organisation(UUID id, String slug, String name, String issuer, String clientId, String sealedSecret,
                           boolean ssoEnabled) {

  static Organisation from(Row row) {
    return new Organisation(row.getUUID("id"), row.getString("slug"), row.getString("name"),
        row.getString("sso_issuer"), row.getString("sso_client_id"), row.getString("sso_client_secret"),
        row.getBoolean("sso_enabled"));
  }

  /** Where a member's browser starts signing in through this organisation's provider. */
  public String startPath() {
    return "/sso/" + slug + "/start";
  }

  /** What a cached provider was built from: when any of it changes, discovery runs again. */
  String providerFingerprint() {
    return issuer + "\n" + clientId + "\n" + sealedSecret;
  }

  /** Issuer URLs name one provider with or without a trailing slash (discovery treats them alike). */
  static boolean sameIssuer(String a, String b) {
    return a == null ? b == null : b != null && trimmed(a).equals(trimmed(b));
  }

  private static String trimmed(String issuer) {
    return issuer.replaceAll("/+$", "");
  }

  /** The context the client secret is sealed under: a sealed secret copied to another organisation does not open. */
  String secretContext() {
    return "sso-client-secret:" + id;
  }

  @Override
  public String toString() {
    return "Organisation[" + slug + "]"; // not even the sealed secret
  }
}
