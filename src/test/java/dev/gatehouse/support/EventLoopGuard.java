package dev.gatehouse.support;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Registered for every test class (META-INF/services): fails the class when Vert.x warned that a
 * thread was blocked while it ran, so "never block an event loop" is checked by every test.
 */
public final class EventLoopGuard implements BeforeAllCallback, AfterAllCallback {

  private static final LogCapture LOG = LogCapture.attach();
  private static final String KEY = "firstLine";

  @Override
  public void beforeAll(ExtensionContext context) {
    context.getStore(ExtensionContext.Namespace.GLOBAL).put(context.getUniqueId() + KEY, LOG.lines().size());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    Integer from = context.getStore(ExtensionContext.Namespace.GLOBAL).get(context.getUniqueId() + KEY, Integer.class);
    List<String> lines = LOG.lines();
    List<String> blocked = lines.subList(from == null ? 0 : from, lines.size()).stream()
        .filter(l -> l.contains("has been blocked for")).toList();
    if (!blocked.isEmpty()) {
      fail("Vert.x reported a blocked thread:\n" + String.join("\n", blocked));
    }
  }
}
