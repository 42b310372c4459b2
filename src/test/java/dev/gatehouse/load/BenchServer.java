package dev.gatehouse.load;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Gatehouse server process, as an operator starts one: {@code java FLAGS -cp … dev.gatehouse.Main}
 * or {@code java FLAGS -jar target/gatehouse.jar}, on free ports (public and management), ready once
 * {@code /health/ready} answers 200. Used by the benchmark, the AppCDS training run and the tests
 * that need a real process (signals, the packaged jar).
 */
public final class BenchServer implements AutoCloseable {

  private static final Pattern READY = Pattern.compile("Gatehouse ready on \\S+ in (\\d+) ms");

  public final String label;
  public final Process process;
  public final int port;
  public final int managementPort;
  public final Path log;
  /** From launching the JVM to the first 200 from /health/ready. */
  public final double launchToReadyMs;
  /** What the server itself logged: from Gatehouse.start to listening. */
  public final double selfReportedMs;
  /** CPU time (all threads) the server had used when it was first ready: less noisy than wall time on a busy machine. */
  public final double cpuToReadyMs;

  private BenchServer(String label, Process process, int port, int managementPort, Path log, double launchToReadyMs,
                      double selfReportedMs, double cpuToReadyMs) {
    this.label = label;
    this.process = process;
    this.port = port;
    this.managementPort = managementPort;
    this.log = log;
    this.launchToReadyMs = launchToReadyMs;
    this.selfReportedMs = selfReportedMs;
    this.cpuToReadyMs = cpuToReadyMs;
  }

  /** What follows the JVM flags to run the server from a class path. */
  public static List<String> fromClasspath(String classpath) {
    return List.of("-cp", classpath, "dev.gatehouse.Main");
  }

  /** What follows the JVM flags to run the packaged server. */
  public static List<String> fromJar(Path jar) {
    return List.of("-jar", jar.toString());
  }

  /** A benchmark server: Gatehouse with the measurement routes ({@link BenchMain}), from a class path. */
  static BenchServer start(String label, List<String> jvmFlags, String classpath, Map<String, String> env, Path logDir)
      throws IOException, InterruptedException {
    return start(label, jvmFlags, List.of("-cp", classpath, BenchMain.class.getName()), env, logDir);
  }

  /**
   * Launches {@code java jvmFlags launch…} with the environment's GATEHOUSE_* variables replaced by
   * {@code env} (plus free ports on 127.0.0.1) and waits until it is ready.
   */
  public static BenchServer start(String label, List<String> jvmFlags, List<String> launch, Map<String, String> env,
                                  Path logDir) throws IOException, InterruptedException {
    return start(label, jvmFlags, launch, env, logDir, null);
  }

  /** The same, in working directory {@code directory} (null: this process's). */
  public static BenchServer start(String label, List<String> jvmFlags, List<String> launch, Map<String, String> env,
                                  Path logDir, Path directory) throws IOException, InterruptedException {
    return start(label, jvmFlags, launch, env, logDir, directory, freePort(), freePort());
  }

  /** The same on given ports (a node restarted where its load balancer expects it). */
  public static BenchServer start(String label, List<String> jvmFlags, List<String> launch, Map<String, String> env,
                                  Path logDir, Path directory, int port, int managementPort)
      throws IOException, InterruptedException {
    Path log = logDir.resolve("server-" + label + ".log");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmFlags);
    command.addAll(launch);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile())
        .directory(directory == null ? null : directory.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("GATEHOUSE_"));
    builder.environment().putAll(env);
    builder.environment().put("GATEHOUSE_HTTP_PORT", Integer.toString(port));
    builder.environment().put("GATEHOUSE_HTTP_HOST", "127.0.0.1");
    builder.environment().put("GATEHOUSE_MANAGEMENT_PORT", Integer.toString(managementPort));
    // SIGTERM stops at once unless a caller wants to watch the drain.
    builder.environment().putIfAbsent("GATEHOUSE_SHUTDOWN_GRACE_SECONDS", "0");
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofMillis(200)).build();
    HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
        .timeout(Duration.ofSeconds(1)).build();
    long launched = System.nanoTime();
    Process process = builder.start();
    long deadline = launched + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("server " + label + " exited with " + process.exitValue() + "; see " + log);
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          break;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("server " + label + " not ready in 120 s; see " + log);
      }
      Thread.sleep(5);
    }
    double launchToReady = (System.nanoTime() - launched) / 1e6;
    double cpuToReady = Proc.cpuSeconds(process.pid()) * 1000;
    double self = Double.NaN;
    for (int i = 0; i < 50 && Double.isNaN(self); i++) {
      Matcher m = READY.matcher(Files.readString(log));
      if (m.find()) {
        self = Double.parseDouble(m.group(1));
      } else {
        Thread.sleep(20);
      }
    }
    return new BenchServer(label, process, port, managementPort, log, launchToReady, self, cpuToReady);
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  public String managementUrl() {
    return "http://127.0.0.1:" + managementPort;
  }

  public long pid() {
    return process.pid();
  }

  public double cpuSeconds() {
    return Proc.cpuSeconds(pid());
  }

  double rssMiB() {
    return Proc.rssMiB(pid());
  }

  /** Lines where Vert.x said an event loop or worker was blocked. */
  public List<String> blockedThreadWarnings() throws IOException {
    return Files.readAllLines(log).stream().filter(l -> l.contains("has been blocked for")).toList();
  }

  /** SIGTERM, as an operator would; answers the milliseconds the clean shutdown took. */
  public double stop() throws InterruptedException {
    long t0 = System.nanoTime();
    process.destroy();
    if (!process.waitFor(40, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      return Double.NaN;
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      stop();
    }
  }

  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
