package dev.gatehouse.session;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A short human reading of a user agent for the session list: "Chrome on Linux", "Safari on iOS". */
final class Device {

  /** Browser tokens in the order they must be tested: Edge and Opera also say "Chrome", Chrome also says "Safari". */
  private static final String[][] BROWSERS = {
      {"Edg/", "Edge"}, {"Edge/", "Edge"}, {"OPR/", "Opera"}, {"Opera", "Opera"}, {"SamsungBrowser/", "Samsung Internet"},
      {"Firefox/", "Firefox"}, {"FxiOS/", "Firefox"}, {"CriOS/", "Chrome"}, {"Chromium/", "Chromium"},
      {"Chrome/", "Chrome"}, {"Version/", "Safari"}, {"curl/", "curl"}};
  private static final String[][] SYSTEMS = {
      {"Windows", "Windows"}, {"iPhone", "iOS"}, {"iPad", "iPadOS"}, {"Android", "Android"}, {"CrOS", "ChromeOS"},
      {"Mac OS X", "macOS"}, {"Macintosh", "macOS"}, {"Linux", "Linux"}};
  private static final Pattern PRODUCT = Pattern.compile("^([A-Za-z][A-Za-z0-9._-]{0,23})/");

  private Device() {
  }

  static String of(String userAgent) {
    if (userAgent == null || userAgent.isBlank()) {
      return "Unknown device";
    }
    String browser = find(BROWSERS, userAgent);
    String system = find(SYSTEMS, userAgent);
    if (browser == null && system == null) {
      Matcher product = PRODUCT.matcher(userAgent);
      // "Mozilla/" says nothing; another program's own name is the best reading there is.
      return product.find() && !"Mozilla".equals(product.group(1)) ? product.group(1) : "Unknown device";
    }
    if (browser == null) {
      return "Browser on " + system;
    }
    return system == null ? browser : browser + " on " + system;
  }

  private static String find(String[][] table, String userAgent) {
    for (String[] entry : table) {
      if (userAgent.contains(entry[0])) {
        return entry[1];
      }
    }
    return null;
  }
}
