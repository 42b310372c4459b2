package dev.gatehouse.factor.totp;

import com.google.zxing.EncodeHintType;
import com.google.zxing.WriterException;
import com.google.zxing.qrcode.decoder.ErrorCorrectionLevel;
import com.google.zxing.qrcode.encoder.ByteMatrix;
import com.google.zxing.qrcode.encoder.Encoder;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A QR code drawn on our own server (never a third-party service, which would see the secret),
 * as PNG or SVG, with the 4-module quiet zone the standard asks for.
 */
public final class QrCode {

  /** Modules of white border on each side (ISO/IEC 18004 quiet zone). */
  public static final int QUIET_ZONE = 4;

  /** The PNG is drawn close to this many pixels wide, big enough to scan from a laptop screen. */
  static final int TARGET_PIXELS = 280;

  private final ByteMatrix modules;

  private QrCode(ByteMatrix modules) {
    this.modules = modules;
  }

  /** Error correction M: room for ~15% damage (glare on a screen) without growing the code much. */
  public static QrCode of(String text) {
    try {
      var hints = Map.of(EncodeHintType.CHARACTER_SET, StandardCharsets.UTF_8.name());
      return new QrCode(Encoder.encode(text, ErrorCorrectionLevel.M, hints).getMatrix());
    } catch (WriterException e) {
      throw new IllegalArgumentException("text does not fit in a QR code", e);
    }
  }

  /** Modules per side including the quiet zone. */
  public int size() {
    return modules.getWidth() + 2 * QUIET_ZONE;
  }

  /** Whole pixels per module, so edges stay sharp, chosen to land near {@link #TARGET_PIXELS}. */
  public int pixelsPerModule() {
    return Math.max(2, Math.round((float) TARGET_PIXELS / size()));
  }

  private boolean dark(int x, int y) {
    int mx = x - QUIET_ZONE;
    int my = y - QUIET_ZONE;
    return mx >= 0 && my >= 0 && mx < modules.getWidth() && my < modules.getHeight() && modules.get(mx, my) == 1;
  }

  public byte[] png() {
    int scale = pixelsPerModule();
    int pixels = size() * scale;
    BufferedImage image = new BufferedImage(pixels, pixels, BufferedImage.TYPE_BYTE_BINARY);
    for (int y = 0; y < pixels; y++) {
      for (int x = 0; x < pixels; x++) {
        image.setRGB(x, y, dark(x / scale, y / scale) ? 0xff000000 : 0xffffffff);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(image, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** One path of dark runs per row keeps the SVG small; crispEdges avoids hairline seams when scaled. */
  public String svg() {
    int size = size();
    int pixels = size * pixelsPerModule();
    StringBuilder path = new StringBuilder();
    for (int y = 0; y < size; y++) {
      int x = 0;
      while (x < size) {
        if (!dark(x, y)) {
          x++;
          continue;
        }
        int start = x;
        while (x < size && dark(x, y)) {
          x++;
        }
        path.append('M').append(start).append(' ').append(y).append('h').append(x - start).append("v1h-")
            .append(x - start).append('z');
      }
    }
    return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + size + " " + size + "\" width=\"" + pixels
        + "\" height=\"" + pixels + "\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code\">"
        + "<rect width=\"" + size + "\" height=\"" + size + "\" fill=\"#fff\"/>"
        + "<path fill=\"#000\" d=\"" + path + "\"/></svg>";
  }
}
