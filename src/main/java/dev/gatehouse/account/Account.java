package dev.gatehouse.account;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

import java.time.OffsetDateTime;
import java.util.UUID;

/** A person's account, as stored. */
public record Account(UUID id, String email, String name, String passwordHash, OffsetDateTime createdAt) {

  static Account from(Row row) {
    return new Account(row.getUUID("id"), row.getString("email"), row.getString("name"),
        row.getString("password_hash"), row.getOffsetDateTime("created_at"));
  }

  /** What the account's owner may see of it (never the hash; only whether there is one). */
  public JsonObject toJson() {
    return new JsonObject()
        .put("id", id.toString())
        .put("email", email)
        .put("name", name)
        .put("createdAt", createdAt.toInstant().toString())
        .put("passwordSet", passwordHash != null);
  }
}
