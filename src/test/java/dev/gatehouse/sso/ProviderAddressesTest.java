package dev.gatehouse.sso;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.net.InetAddress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which addresses a provider request may go to (docs/security.md 36): the rule alone, address by address. */
class ProviderAddressesTest {

  @ParameterizedTest
  @CsvSource({
      "127.0.0.1, loopback", "127.255.0.9, loopback", "::1, loopback",
      "0.0.0.0, unspecified", "0.1.2.3, unspecified", "::, unspecified",
      "10.0.0.5, private", "172.16.0.1, private", "172.31.255.254, private", "192.168.1.1, private",
      "100.64.0.1, private", "100.127.255.254, private", "fec0::1, private",
      "169.254.169.254, link-local", "fe80::1, link-local",
      "fc00::1, unique-local", "fd12:3456::1, unique-local",
      "224.0.0.1, multicast", "ff02::1, multicast", "255.255.255.255, broadcast",
      "::ffff:10.1.2.3, private", "::ffff:169.254.169.254, link-local", "::127.0.0.1, loopback",
      "64:ff9b::a9fe:a9fe, link-local", "2002:7f00:1::1, loopback", "2002:c0a8:101::1, private"})
  void refused(String address, String kind) throws Exception {
    assertEquals(kind, ProviderAddresses.forbidden(InetAddress.getByName(address)).orElse("allowed"), address);
  }

  @ParameterizedTest
  @ValueSource(strings = {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "192.169.0.1",
      "2606:4700:4700::1111", "2001:db8::1", "64:ff9b::808:808", "2002:808:808::1"})
  void allowed(String address) throws Exception {
    assertTrue(ProviderAddresses.forbidden(InetAddress.getByName(address)).isEmpty(), address);
  }
}
