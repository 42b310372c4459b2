package dev.gatehouse.factor.passkey;

import java.net.URI;
import java.util.Locale;

/**
 * Who passkeys are made for (docs/security.md 44): the relying party id is the host of the public URL,
 * and the one origin accepted is that URL's origin, serialised as browsers do (lower case, no default port).
 */
public record RelyingParty(String id, String name, String origin) {

  public static RelyingParty of(URI publicUrl, String name) {
    String scheme = publicUrl.getScheme().toLowerCase(Locale.ROOT);
    String host = publicUrl.getHost().toLowerCase(Locale.ROOT);
    int port = publicUrl.getPort();
    boolean defaultPort = port == -1 || (port == 443 && "https".equals(scheme)) || (port == 80 && "http".equals(scheme));
    return new RelyingParty(host, name, scheme + "://" + host + (defaultPort ? "" : ":" + port));
  }
}
