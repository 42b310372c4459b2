package dev.gatehouse.support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import ch.qos.logback.core.encoder.Encoder;
import dev.gatehouse.logging.LogSetup;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything logged while it is attached (every logger, every level it lets through), as text; or,
 * attached with a log format, exactly the lines the server would write to standard output in it.
 */
public final class LogCapture extends AppenderBase<ILoggingEvent> implements AutoCloseable {

  private static final String ACCESS = "dev.gatehouse.access";
  private final List<String> lines = new ArrayList<>();
  private final Encoder<ILoggingEvent> encoder;

  private LogCapture(Encoder<ILoggingEvent> encoder) {
    this.encoder = encoder;
  }

  public static LogCapture attach() {
    return attach((Encoder<ILoggingEvent>) null);
  }

  /** Captures the output of {@code format} ({@link LogSetup#TEXT} or {@link LogSetup#JSON}) as the server encodes it. */
  public static LogCapture attach(String format) {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    return attach(LogSetup.encoder(root.getLoggerContext(), format));
  }

  private static LogCapture attach(Encoder<ILoggingEvent> encoder) {
    LogCapture capture = new LogCapture(encoder);
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    capture.setContext(root.getLoggerContext());
    capture.start();
    root.addAppender(capture);
    // The access log has an appender of its own (additivity off): capture it too.
    ((Logger) LoggerFactory.getLogger(ACCESS)).addAppender(capture);
    return capture;
  }

  @Override
  protected synchronized void append(ILoggingEvent event) {
    if (encoder != null) {
      String encoded = new String(encoder.encode(event), StandardCharsets.UTF_8);
      lines.add(encoded.endsWith("\n") ? encoded.substring(0, encoded.length() - 1) : encoded);
      return;
    }
    StringBuilder line = new StringBuilder(event.getLevel() + " " + event.getLoggerName() + " " + event.getFormattedMessage());
    IThrowableProxy thrown = event.getThrowableProxy();
    if (thrown != null) {
      line.append('\n').append(ThrowableProxyUtil.asString(thrown));
    }
    lines.add(line.toString());
  }

  public synchronized List<String> lines() {
    return new ArrayList<>(lines);
  }

  public synchronized String text() {
    return String.join("\n", lines);
  }

  @Override
  public void close() {
    Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.detachAppender(this);
    ((Logger) LoggerFactory.getLogger(ACCESS)).detachAppender(this);
    stop();
  }
}
