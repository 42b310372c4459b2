package dev.gatehouse.load;

/** The two cookies a Gatehouse browser keeps (plain http: no __Host- prefix). */
final class LoadCookies {

  static final String SESSION = "gatehouse";
  static final String XSRF = "XSRF-TOKEN";

  private LoadCookies() {
  }

  static void apply(LoadClient.Browser browser, String setCookie) {
    int eq = setCookie.indexOf('=');
    if (eq < 0) {
      return;
    }
    int end = setCookie.indexOf(';');
    String name = setCookie.substring(0, eq).trim();
    String value = setCookie.substring(eq + 1, end < 0 ? setCookie.length() : end).trim();
    if (SESSION.equals(name)) {
      browser.session = value;
    } else if (XSRF.equals(name)) {
      browser.xsrf = value;
    }
  }
}
