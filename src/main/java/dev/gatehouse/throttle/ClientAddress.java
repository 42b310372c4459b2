package dev.gatehouse.throttle;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

/**
 * The key of a per-address budget. IPv4 addresses count one by one; IPv6 addresses by their /64,
 * since one subscriber usually holds a whole /64 and could otherwise rotate through it.
 */
public final class ClientAddress {

  private static final Pattern IPV6_LITERAL = Pattern.compile("[0-9A-Fa-f:.]+");

  private ClientAddress() {
  }

  public static String budgetKey(String ip) {
    if (ip == null) {
      return "unknown";
    }
    String literal = ip.startsWith("[") && ip.endsWith("]") ? ip.substring(1, ip.length() - 1) : ip;
    int zone = literal.indexOf('%');
    if (zone >= 0) {
      literal = literal.substring(0, zone);
    }
    // Only a string with a colon and nothing but hex digits is parsed: never a DNS lookup.
    if (literal.indexOf(':') < 0 || !IPV6_LITERAL.matcher(literal).matches()) {
      return ip;
    }
    try {
      InetAddress address = InetAddress.getByName(literal);
      if (!(address instanceof Inet6Address)) {
        return address.getHostAddress(); // an IPv4-mapped address
      }
      byte[] bytes = address.getAddress();
      StringBuilder prefix = new StringBuilder();
      for (int i = 0; i < 8; i += 2) {
        prefix.append(Integer.toHexString(((bytes[i] & 0xff) << 8) | (bytes[i + 1] & 0xff))).append(':');
      }
      return prefix.append(":/64").toString();
    } catch (UnknownHostException e) {
      return ip;
    }
  }
}
