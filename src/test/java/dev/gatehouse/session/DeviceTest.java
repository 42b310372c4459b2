package dev.gatehouse.session;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The session list's short reading of a user agent. */
class DeviceTest {

  @Test
  void common_browsers_read_as_browser_on_system() {
    assertEquals("Chrome on Linux", Device.of("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        + "Chrome/126.0.0.0 Safari/537.36"));
    assertEquals("Chrome on Linux", Device.of("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        + "HeadlessChrome/126.0.0.0 Safari/537.36"));
    assertEquals("Edge on Windows", Device.of("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        + "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87"));
    assertEquals("Firefox on macOS", Device.of("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 "
        + "Firefox/128.0"));
    assertEquals("Safari on macOS", Device.of("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 "
        + "(KHTML, like Gecko) Version/17.5 Safari/605.1.15"));
    assertEquals("Safari on iOS", Device.of("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
        + "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"));
    assertEquals("Chrome on Android", Device.of("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        + "(KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36"));
    assertEquals("Opera on Windows", Device.of("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
        + "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0"));
  }

  @Test
  void anything_else_reads_as_its_own_name_or_unknown() {
    assertEquals("curl", Device.of("curl/8.5.0"));
    assertEquals("GatehouseTest", Device.of("GatehouseTest/1.0"));
    assertEquals("Unknown device", Device.of(null));
    assertEquals("Unknown device", Device.of("   "));
    assertEquals("Unknown device", Device.of("Mozilla/5.0 (compatible)"));
    assertEquals("Unknown device", Device.of("<script>alert(1)</script>"));
  }
}
