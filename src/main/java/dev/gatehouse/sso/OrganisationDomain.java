package dev.gatehouse.sso;

import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;

import java.time.OffsetDateTime;

/** A domain an organisation claims; it counts only once verified through DNS. */
public record OrganisationDomain(String domain, String verificationToken, OffsetDateTime verifiedAt) {

  /** The TXT record that proves the claim: published under this name … */
  public static final String RECORD_PREFIX = "_gatehouse-challenge.";
  /** … with this value prefix followed by the token. */
  public static final String VALUE_PREFIX = "gatehouse-domain-verification=";

  static OrganisationDomain from(Row row) {
    return new OrganisationDomain(row.getString("domain"), row.getString("verification_token"),
        row.getOffsetDateTime("verified_at"));
  }

  public boolean verified() {
    return verifiedAt != null;
  }

  public String recordName() {
    return RECORD_PREFIX + domain;
  }

  public String recordValue() {
    return VALUE_PREFIX + verificationToken;
  }

  /** What owners see: the domain, whether it counts, and the DNS record to publish while it does not. */
  JsonObject toJson() {
    JsonObject json = new JsonObject().put("domain", domain).put("verified", verified())
        .put("verifiedAt", verified() ? verifiedAt.toInstant().toString() : null);
    if (!verified()) {
      json.put("verification", new JsonObject().put("type", "TXT").put("name", recordName()).put("value", recordValue()));
    }
    return json;
  }
}
