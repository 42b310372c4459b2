package dev.gatehouse.web;

import dev.gatehouse.support.TestServer;
import org.junit.jupiter.api.AfterAll;

/**
 * Browser tests against the real Gatehouse: the server of the other tests (its own
 * database in the test PostgreSQL, a free port) serving this checkout's webroot/.
 * -Dgatehouse.web.baseUrl=… points them at a server started elsewhere instead.
 */
abstract class GatehouseBrowserTest extends BrowserTest {

  private static TestServer server;

  @Override
  protected String baseUrl() {
    String external = System.getProperty("gatehouse.web.baseUrl");
    if (external != null) return external;
    synchronized (GatehouseBrowserTest.class) {
      if (server == null) server = TestServer.start(null);
      return server.baseUrl();
    }
  }

  @AfterAll
  static void stopServer() {
    synchronized (GatehouseBrowserTest.class) {
      if (server != null) server.close();
      server = null;
    }
  }
}
