package dev.gatehouse.web;

import org.junit.jupiter.api.Assumptions;

/**
 * Browser tests against a Gatehouse server. Until the server foundation lands they
 * run only against a server named by -Dgatehouse.web.baseUrl.
 */
abstract class GatehouseBrowserTest extends BrowserTest {

  @Override
  protected String baseUrl() {
    String url = System.getProperty("gatehouse.web.baseUrl");
    Assumptions.assumeTrue(url != null, "no server to test against: set -Dgatehouse.web.baseUrl");
    return url;
  }
}
