package dev.gatehouse.factor.totp;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.zxing.BinaryBitmap;
import com.google.zxing.DecodeHintType;
import com.google.zxing.client.j2se.BufferedImageLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.qrcode.QRCodeReader;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

class QrCodeTest {

  private final String uri = KeyUri.of("Acme Corp", "alice@example.com", TotpSecret.generate());

  @Test
  void thePngDecodesToTheOtpauthUri() throws Exception {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(QrCode.of(uri).png()));
    assertEquals(uri, decode(image));
  }

  @Test
  void thePngIsSizedToScanFromALaptopScreen() throws Exception {
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(QrCode.of(uri).png()));
    assertEquals(image.getWidth(), image.getHeight());
    assertTrue(image.getWidth() >= 240 && image.getWidth() <= 320, "width " + image.getWidth());
  }

  @Test
  void thePngHasAQuietZoneOfFourModules() throws Exception {
    QrCode qr = QrCode.of(uri);
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(qr.png()));
    int border = QrCode.QUIET_ZONE * qr.pixelsPerModule();
    for (int i = 0; i < image.getWidth(); i++) {
      for (int d = 0; d < border; d++) {
        assertWhite(image, i, d);
        assertWhite(image, d, i);
        assertWhite(image, i, image.getHeight() - 1 - d);
        assertWhite(image, image.getWidth() - 1 - d, i);
      }
    }
    // The finder pattern starts right after the quiet zone.
    assertEquals(0x000000, image.getRGB(border, border) & 0xffffff);
  }

  @Test
  void theSvgDrawsTheSameCode() throws Exception {
    QrCode qr = QrCode.of(uri);
    String svg = qr.svg();
    assertTrue(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    // Well-formed XML, so browsers render it as an image.
    javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new org.xml.sax.InputSource(new java.io.StringReader(svg)));
    assertEquals(uri, decode(rasterise(svg, qr.size(), 8)));
  }

  @Test
  void longerTextStillFitsTheSizeRange() throws Exception {
    String longUri = KeyUri.of("A very long issuer name for a company", "someone.with.a.long.name@subdomain.example.org",
        TotpSecret.generate());
    BufferedImage image = ImageIO.read(new ByteArrayInputStream(QrCode.of(longUri).png()));
    assertTrue(image.getWidth() >= 240 && image.getWidth() <= 340, "width " + image.getWidth());
    assertEquals(longUri, decode(image));
  }

  private static void assertWhite(BufferedImage image, int x, int y) {
    assertEquals(0xffffff, image.getRGB(x, y) & 0xffffff, "quiet zone pixel " + x + "," + y);
  }

  static String decode(BufferedImage image) throws Exception {
    var bitmap = new BinaryBitmap(new HybridBinarizer(new BufferedImageLuminanceSource(image)));
    return new QRCodeReader().decode(bitmap, Map.of(DecodeHintType.PURE_BARCODE, Boolean.FALSE)).getText();
  }

  /** Draws the SVG's "M x y h w v1 h-w z" runs, the only shapes QrCode emits. */
  private static BufferedImage rasterise(String svg, int modules, int scale) {
    BufferedImage image = new BufferedImage(modules * scale, modules * scale, BufferedImage.TYPE_INT_RGB);
    var g = image.createGraphics();
    g.setColor(java.awt.Color.WHITE);
    g.fillRect(0, 0, image.getWidth(), image.getHeight());
    g.setColor(java.awt.Color.BLACK);
    Matcher run = Pattern.compile("M(\\d+) (\\d+)h(\\d+)v1h-\\d+z").matcher(svg);
    while (run.find()) {
      g.fillRect(Integer.parseInt(run.group(1)) * scale, Integer.parseInt(run.group(2)) * scale,
          Integer.parseInt(run.group(3)) * scale, scale);
    }
    g.dispose();
    return image;
  }
}
