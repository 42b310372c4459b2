package dev.gatehouse.sso;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Optional;

/**
 * Which addresses a request to an identity provider may go to (docs/security.md 36). An issuer URL
 * is typed by an organisation's owner, so without this rule the server would fetch whatever they
 * name: a metadata service, a database admin page, anything on the internal network. Refused:
 * loopback, private (RFC 1918, and the shared 100.64/10), link-local, unique-local, unspecified,
 * multicast and broadcast; IPv6 forms that carry an IPv4 address are judged by that address.
 */
final class ProviderAddresses {

  private ProviderAddresses() {
  }

  /** What kind of address it is, when a provider request must not go there; empty when it may. */
  static Optional<String> forbidden(InetAddress address) {
    if (address.isAnyLocalAddress()) {
      return Optional.of("unspecified");
    }
    if (address.isLoopbackAddress()) {
      return Optional.of("loopback");
    }
    if (address.isLinkLocalAddress()) {
      return Optional.of("link-local");
    }
    if (address.isSiteLocalAddress()) {
      return Optional.of("private");
    }
    if (address.isMulticastAddress()) {
      return Optional.of("multicast");
    }
    byte[] b = address.getAddress();
    if (address instanceof Inet4Address) {
      return forbiddenV4(b);
    }
    if (address instanceof Inet6Address) {
      if ((b[0] & 0xfe) == 0xfc) {
        return Optional.of("unique-local");
      }
      // ::a.b.c.d (IPv4-compatible), ::ffff:a.b.c.d (IPv4-mapped), 64:ff9b::a.b.c.d (NAT64): the last four bytes.
      boolean zeros = allZero(b, 0, 10);
      boolean compatible = zeros && b[10] == 0 && b[11] == 0;
      boolean mapped = zeros && (b[10] & 0xff) == 0xff && (b[11] & 0xff) == 0xff;
      boolean nat64 = b[0] == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b
          && allZero(b, 4, 12);
      if (compatible || mapped || nat64) {
        return embedded(Arrays.copyOfRange(b, 12, 16));
      }
      // 2002:a.b.c.d::/48 (6to4): bytes 2 to 5.
      if (b[0] == 0x20 && b[1] == 0x02) {
        return embedded(Arrays.copyOfRange(b, 2, 6));
      }
    }
    return Optional.empty();
  }

  private static Optional<String> embedded(byte[] v4) {
    try {
      return forbidden(InetAddress.getByAddress(v4));
    } catch (UnknownHostException e) {
      return Optional.of("malformed");
    }
  }

  private static Optional<String> forbiddenV4(byte[] b) {
    int first = b[0] & 0xff;
    int second = b[1] & 0xff;
    if (first == 0) {
      return Optional.of("unspecified"); // "this network", 0.0.0.0/8
    }
    if (first == 100 && (second & 0xc0) == 64) {
      return Optional.of("private"); // shared address space (carrier-grade NAT), 100.64.0.0/10
    }
    if (first == 255 && second == 255 && (b[2] & 0xff) == 255 && (b[3] & 0xff) == 255) {
      return Optional.of("broadcast");
    }
    return Optional.empty();
  }

  private static boolean allZero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }
}
