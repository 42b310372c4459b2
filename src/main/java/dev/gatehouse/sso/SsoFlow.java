package dev.gatehouse.sso;

import io.vertx.core.json.JsonObject;

import java.util.UUID;

/**
 * One SSO sign-in in progress, kept in the server-side session between start and callback: the
 * values the callback must match (state, nonce) and the PKCE verifier that only we know. Stored as
 * a JSON string so that a clustered session store can carry it; used once. {@code sudoFor} is the
 * signed-in account re-authenticating at its provider (sudo), or null for a sign-in.
 */
record SsoFlow(UUID organisation, String slug, String state, String nonce, String codeVerifier, long startedAt,
               UUID sudoFor) {

  static final String SESSION_KEY = "ssoFlow";

  String encode() {
    return new JsonObject().put("org", organisation.toString()).put("slug", slug).put("state", state)
        .put("nonce", nonce).put("verifier", codeVerifier).put("at", startedAt)
        .put("sudoFor", sudoFor == null ? null : sudoFor.toString()).encode();
  }

  /** The flow, or null when there is none or it cannot be read. */
  static SsoFlow decode(String stored) {
    if (stored == null) {
      return null;
    }
    try {
      JsonObject json = new JsonObject(stored);
      return new SsoFlow(UUID.fromString(json.getString("org")), json.getString("slug"), json.getString("state"),
          json.getString("nonce"), json.getString("verifier"), json.getLong("at"),
          json.getString("sudoFor") == null ? null : UUID.fromString(json.getString("sudoFor")));
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return "SsoFlow[" + slug + (sudoFor == null ? "" : ", sudo") + "]"; // never the state, nonce or verifier
  }
}
