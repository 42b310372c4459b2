package dev.gatehouse.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * A private nginx master (Debian's package) in front of Gatehouse nodes on loopback: its own
 * configuration, pid file, logs and port under {@code dir}, never the system service. The
 * configuration is docs/deploy.md's without TLS (round robin, a connection per request, forwarded
 * headers, the passive check, retries only where nginx's default allows them), plus one diagnostic
 * header, {@code X-Gatehouse-Upstream: $upstream_addr}, that names the node (or nodes, when nginx
 * retried) behind every answer, and an access log that records it too.
 */
public final class Nginx implements AutoCloseable {

  /** Where Debian's nginx package puts the binary; found on PATH first. */
  public static final List<String> BINARY_PLACES = List.of("/usr/sbin/nginx", "/usr/local/sbin/nginx");

  public final Path dir;
  public final int port;
  public final Path accessLog;
  public final Path errorLog;
  private final String binary;
  private final List<Integer> upstreamPorts;
  private final Process process;
  private int reloads;

  private Nginx(Path dir, int port, String binary, List<Integer> upstreamPorts, Process process) {
    this.dir = dir;
    this.port = port;
    this.binary = binary;
    this.upstreamPorts = upstreamPorts;
    this.process = process;
    this.accessLog = dir.resolve("access.log");
    this.errorLog = dir.resolve("error.log");
  }

  /** The nginx binary, or null when it is not installed. */
  public static String binary() {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
      if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "nginx"))) {
        return Path.of(dir, "nginx").toString();
      }
    }
    return BINARY_PLACES.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst().orElse(null);
  }

  /** Starts nginx on 127.0.0.1:{@code port} with every upstream up; answers once it accepts connections. */
  public static Nginx start(Path dir, int port, List<Integer> upstreamPorts) throws IOException, InterruptedException {
    String binary = binary();
    if (binary == null) {
      throw new IllegalStateException("nginx is not installed (apt-get install -y nginx)");
    }
    dir = dir.toAbsolutePath();
    Files.createDirectories(dir.resolve("tmp"));
    Files.writeString(dir.resolve("nginx.conf"), config(dir, port), StandardCharsets.UTF_8);
    Files.writeString(dir.resolve("upstream.conf"), upstream(upstreamPorts, Set.of()), StandardCharsets.UTF_8);
    run(binary, "-t", "-p", dir + "/", "-c", dir.resolve("nginx.conf").toString());
    // In the foreground ("daemon off"), so that this process owns the master and its end.
    Process process = new ProcessBuilder(binary, "-p", dir + "/", "-c", dir.resolve("nginx.conf").toString(),
        "-g", "daemon off;").redirectErrorStream(true).redirectOutput(dir.resolve("stdout.log").toFile()).start();
    Nginx nginx = new Nginx(dir, port, binary, List.copyOf(upstreamPorts), process);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!accepts(port)) {
      if (!process.isAlive() || System.nanoTime() > deadline) {
        process.destroyForcibly();
        throw new IllegalStateException("nginx did not start; see " + dir.resolve("stdout.log") + " and "
            + nginx.errorLog + ":\n" + Files.readString(dir.resolve("stdout.log")));
      }
      Thread.sleep(20);
    }
    return nginx;
  }

  static String config(Path dir, int port) {
    return """
        # Written by dev.gatehouse.load.Nginx (bench/cluster.sh, ThreeNodesIT): docs/deploy.md's configuration
        # on loopback without TLS, plus the X-Gatehouse-Upstream header naming the node that answered.
        worker_processes 1;
        pid %1$s/nginx.pid;
        error_log %1$s/error.log notice;
        events { worker_connections 1024; }
        http {
            log_format gatehouse '$msec $remote_addr "$request" $status upstream=$upstream_addr '
                                 'upstream_status=$upstream_status $request_time';
            access_log %1$s/access.log gatehouse;
            client_body_temp_path %1$s/tmp/body;
            proxy_temp_path %1$s/tmp/proxy;
            fastcgi_temp_path %1$s/tmp/fastcgi;
            uwsgi_temp_path %1$s/tmp/uwsgi;
            scgi_temp_path %1$s/tmp/scgi;
            server_tokens off;

            # The nodes, rewritten by the readiness follower (a node whose /health/ready is not 200 is 'down').
            include %1$s/upstream.conf;

            server {
                listen 127.0.0.1:%2$d;
                client_max_body_size 16k;
                client_body_buffer_size 16k;

                location / {
                    proxy_pass http://gatehouse;
                    proxy_set_header Host $http_host;
                    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    proxy_set_header X-Forwarded-Proto $scheme;
                    proxy_connect_timeout 2s;
                    proxy_read_timeout 30s;
                    # nginx's default rule: a request is retried on the next node after a connection error or
                    # timeout, except a POST once it was sent (it may have been acted on).
                    proxy_next_upstream error timeout;
                    proxy_next_upstream_tries 2;
                    # Never a temporary file (the workers need no writable directory).
                    proxy_max_temp_file_size 0;
                    add_header X-Gatehouse-Upstream $upstream_addr always;
                }
            }
        }
        """.formatted(dir, port);
  }

  static String upstream(List<Integer> ports, Set<Integer> down) {
    StringBuilder s = new StringBuilder("""
        upstream gatehouse {
            # Round robin; a node that fails a request is skipped for 5 s (passive check). No 'keepalive':
            # a connection per request, so a node whose listener closed refuses it and nginx tries the next.
        """);
    for (int p : ports) {
      s.append("    server 127.0.0.1:").append(p).append(" max_fails=1 fail_timeout=5s")
          .append(down.contains(p) ? " down" : "").append(";\n");
    }
    return s.append("}\n").toString();
  }

  /** Marks these upstream ports down (all others up) and reloads: new workers take the new list at once. */
  public synchronized void setDown(Set<Integer> down) throws IOException, InterruptedException {
    Path file = dir.resolve("upstream.conf");
    Path next = dir.resolve("upstream.conf.next");
    Files.writeString(next, upstream(upstreamPorts, down), StandardCharsets.UTF_8);
    Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    run(binary, "-p", dir + "/", "-c", dir.resolve("nginx.conf").toString(), "-s", "reload");
    reloads++;
  }

  public synchronized int reloads() {
    return reloads;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  public long pid() {
    return process.pid();
  }

  /** The nginx master and its workers (whose CPU counts as the load balancer's). */
  public double cpuSeconds() {
    return Proc.familyCpuSeconds(process.pid());
  }

  public List<String> accessLines() throws IOException {
    return Files.exists(accessLog) ? Files.readAllLines(accessLog) : List.of();
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(Arrays.stream(command).collect(Collectors.joining(" ")) + " failed:\n" + out);
    }
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Graceful stop (SIGQUIT through nginx -s quit): requests in flight finish. */
  @Override
  public void close() throws InterruptedException {
    if (!process.isAlive()) {
      return;
    }
    try {
      run(binary, "-p", dir + "/", "-c", dir.resolve("nginx.conf").toString(), "-s", "quit");
    } catch (IOException | RuntimeException e) {
      process.destroy();
    }
    if (!process.waitFor(15, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
    }
  }
}
