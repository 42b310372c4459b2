package dev.gatehouse.factor.totp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.gatehouse.support.ExternalTool;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Our QR code read by zbarimg (Debian package zbar-tools), a reader we did not write. */
class ZbarimgTest {

  @BeforeAll
  static void zbarimgIsInstalled() {
    ExternalTool.require("zbarimg", "zbar-tools");
  }

  @Test
  void zbarimgReadsTheOtpauthUriFromOurPng(@TempDir Path dir) throws Exception {
    String uri = KeyUri.of("Acme Corp", "alice smith@example.com", TotpSecret.generate());
    Path png = dir.resolve("qr.png");
    Files.write(png, QrCode.of(uri).png());
    Process zbarimg = new ProcessBuilder("zbarimg", "--quiet", "--raw", png.toString())
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    String out = new String(zbarimg.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertTrue(zbarimg.waitFor(20, TimeUnit.SECONDS), "zbarimg did not finish");
    assertEquals(0, zbarimg.exitValue(), out);
    assertEquals(uri, out);
  }
}
