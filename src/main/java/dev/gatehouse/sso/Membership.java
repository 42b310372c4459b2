package dev.gatehouse.sso;

import io.vertx.core.json.JsonObject;

/** One organisation a user belongs to, and as what. */
public record Membership(String slug, String name, String role, boolean ssoEnabled) {

  public static final String OWNER = "owner";
  public static final String MEMBER = "member";

  public boolean owner() {
    return OWNER.equals(role);
  }

  JsonObject toJson() {
    return new JsonObject().put("slug", slug).put("name", name).put("role", role).put("ssoEnabled", ssoEnabled);
  }
}
