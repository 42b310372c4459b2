package dev.gatehouse.logging;

import ch.qos.logback.classic.AsyncAppender;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.spi.ContextAwareBase;

import java.util.Locale;

/**
 * Gatehouse's logging, set up in code (logback finds it through META-INF/services): one event per
 * line on standard output, as text or, with {@code GATEHOUSE_LOG_FORMAT=json}, as one JSON object per
 * line from logback's own {@link JsonEncoder}. Code instead of logback.xml because parsing the XML
 * (an XML parser, Joran) was a tenth of the start-up time. Both settings are read from the
 * environment (or a -D system property of the same name): logging starts before the configuration
 * file is read. {@code -Dlogback.configurationFile=…} still wins: this then steps aside.
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {

  public static final String FORMAT = "GATEHOUSE_LOG_FORMAT";
  public static final String LEVEL = "GATEHOUSE_LOG_LEVEL";
  public static final String TEXT = "text";
  public static final String JSON = "json";
  /** The access log's logger: one line per request, on an appender of its own. */
  public static final String ACCESS = "dev.gatehouse.access";
  static final String PATTERN = "%d{HH:mm:ss.SSS} %-5level [%thread] %logger{24} - %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext context) {
    if (System.getProperty("logback.configurationFile") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    String format = setting(FORMAT, TEXT).toLowerCase(Locale.ROOT);
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(context);
    console.setName("STDOUT");
    console.setEncoder(encoder(context, JSON.equals(format) ? JSON : TEXT));
    console.start();

    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(console);
    context.getLogger("io.zonky").setLevel(Level.WARN);
    context.getLogger("io.netty").setLevel(Level.WARN);
    context.getLogger("io.vertx").setLevel(Level.INFO);
    // vertx-micrometer-metrics registers its connection gauges more than once, by design (its issue 259).
    context.getLogger("io.micrometer.core.instrument.MeterRegistry").setLevel(Level.ERROR);
    context.getLogger("dev.gatehouse").setLevel(Level.toLevel(setting(LEVEL, "INFO"), Level.INFO));
    // One line per request is written from the event loops: hand it to a thread of its own, and under
    // a flood drop lines rather than stall a request on a slow stdout.
    AsyncAppender access = new AsyncAppender();
    access.setContext(context);
    access.setName(ACCESS);
    access.setQueueSize(8192);
    access.setDiscardingThreshold(0);
    access.setNeverBlock(true);
    access.addAppender(console);
    access.start();
    Logger accessLog = context.getLogger(ACCESS);
    accessLog.setAdditive(false);
    accessLog.addAppender(access);
    if (!TEXT.equals(format) && !JSON.equals(format)) {
      context.getLogger(LogSetup.class).warn("{} must be text or json; logging as text", FORMAT);
    }
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }

  /** The encoder of {@code format} (text or json), started: also what the log-capture tests encode with. */
  public static Encoder<ILoggingEvent> encoder(LoggerContext context, String format) {
    if (JSON.equals(format)) {
      JsonEncoder json = new JsonEncoder();
      json.setContext(context);
      // What a log shipper needs: time, level, thread, logger, the message as printed and as its
      // template, key-value pairs (the access log's fields), MDC and the exception. Not the logger
      // context nor the raw arguments (the printed message has them).
      json.setWithSequenceNumber(false);
      json.setWithNanoseconds(false);
      json.setWithContext(false);
      json.setWithArguments(false);
      json.setWithFormattedMessage(true);
      json.start();
      return json;
    }
    PatternLayoutEncoder text = new PatternLayoutEncoder();
    text.setContext(context);
    text.setPattern(PATTERN);
    text.start();
    return text;
  }

  private static String setting(String name, String defaultValue) {
    String value = System.getProperty(name);
    if (value == null || value.isBlank()) {
      value = System.getenv(name);
    }
    return value == null || value.isBlank() ? defaultValue : value.trim();
  }
}
