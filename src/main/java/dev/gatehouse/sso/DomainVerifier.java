package dev.gatehouse.sso;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.dns.DnsClient;
import io.vertx.core.dns.DnsClientOptions;
import io.vertx.core.dns.DnsException;


/**
 * Proves that an organisation controls an email domain: its owner publishes a TXT record
 * {@code _gatehouse-challenge.<domain>} holding {@code gatehouse-domain-verification=<token>}.
 * Without this anyone could claim someone else's domain, point it at an identity provider they
 * run, and sign in as that domain's existing accounts.
 */
public final class DomainVerifier {

  /** The DNS server to ask, {@code host:port}; unset: the system's resolver. */
  public static final String DNS_SERVER = "GATEHOUSE_DNS_SERVER";

  private final DnsClient dns;

  public DomainVerifier(Vertx vertx, String server) {
    DnsClientOptions options = new DnsClientOptions().setQueryTimeout(5000).setRecursionDesired(true);
    if (server != null && !server.isBlank()) {
      int colon = server.lastIndexOf(':');
      try {
        options.setHost(colon < 0 ? server.strip() : server.substring(0, colon).strip())
            .setPort(colon < 0 ? 53 : Integer.parseInt(server.substring(colon + 1).strip()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(DNS_SERVER + " must be host or host:port");
      }
    }
    this.dns = vertx.createDnsClient(options);
  }

  /** True when the domain's challenge record holds the expected value; fails only when DNS cannot answer. */
  Future<Boolean> verify(OrganisationDomain domain) {
    return dns.resolveTXT(domain.recordName())
        .map(records -> records.stream().anyMatch(value -> value.strip().equals(domain.recordValue())))
        .recover(err -> err instanceof DnsException ? Future.succeededFuture(false) : Future.failedFuture(err));
  }
}
