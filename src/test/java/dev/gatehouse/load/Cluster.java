package dev.gatehouse.load;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Gatehouse nodes behind a private nginx, as docs/deploy.md runs them: each node is the packaged
 * jar started the way the guide starts it ({@code java -Xmx256m -XX:SharedArchiveFile=gatehouse.jsa
 * -jar gatehouse.jar} in the directory that holds the build's files), on one PostgreSQL and one
 * key, with nginx as its trusted proxy; and a <b>readiness follower</b>, which does for Debian's
 * nginx what NGINX Plus's {@code health_check} or HAProxy's {@code check} do: it polls each node's
 * {@code /health/ready} on the management port every 200 ms and, when a node stops or starts
 * answering 200, marks it {@code down} (or up again) in the upstream list and reloads nginx. A node
 * sent SIGTERM answers 503 at once and keeps serving for its grace period, so nginx has stopped
 * sending it anything well before its listener closes: no request can meet the closing listener.
 * Used by bench/cluster.sh (through {@link ClusterMain}) and by ThreeNodesIT.
 */
public final class Cluster implements AutoCloseable {

  /** How often the follower asks each node, and how long it waits for an answer. */
  static final Duration POLL = Duration.ofMillis(200);
  static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);
  /** Probes that time out in a row before a node is taken out (a refusal or a 503 takes it out at once). */
  static final int TIMEOUTS_TO_FALL = 3;

  /** One node: where nginx expects it, and the process there now (null while it is down). */
  public final class Node {
    public final int index;
    public final int port;
    public final int managementPort;
    volatile BenchServer server;
    int starts;
    int timeoutsInARow;
    boolean inNginx = true;

    Node(int index, int port, int managementPort) {
      this.index = index;
      this.port = port;
      this.managementPort = managementPort;
    }

    public String name() {
      return "node" + index;
    }

    /** As nginx names it in $upstream_addr. */
    public String address() {
      return "127.0.0.1:" + port;
    }

    public String baseUrl() {
      return "http://" + address();
    }

    public BenchServer server() {
      return server;
    }

    public Process process() {
      return server.process;
    }
  }

  /** A change the follower made, when, and why. */
  public record Change(long nanoTime, String node, boolean up, String why) {
  }

  private final Path jarDir;
  private final Path work;
  private final List<String> jvmFlags;
  private final Map<String, String> env;
  private final List<Node> nodes = new ArrayList<>();
  private final List<Change> changes = new CopyOnWriteArrayList<>();
  private final HttpClient probe = HttpClient.newBuilder().connectTimeout(PROBE_TIMEOUT).build();
  private Nginx nginx;
  private Thread follower;
  private volatile boolean following;
  private volatile boolean paused;

  private Cluster(Path jarDir, Path work, List<String> jvmFlags, Map<String, String> env) {
    this.jarDir = jarDir;
    this.work = work;
    this.jvmFlags = jvmFlags;
    this.env = env;
  }

  /**
   * Starts {@code count} nodes from {@code jarDir} (gatehouse.jar, gatehouse.jsa, webroot/), nginx on
   * a free port and the follower. {@code env}: the nodes' shared configuration (database URL, key, …);
   * the ports, the trusted proxy and the public URL are set here.
   */
  public static Cluster start(int count, Path jarDir, Path work, List<String> jvmFlags, Map<String, String> env)
      throws Exception {
    Files.createDirectories(work);
    Cluster cluster = new Cluster(jarDir.toAbsolutePath(), work.toAbsolutePath(), jvmFlags, new LinkedHashMap<>(env));
    int nginxPort = BenchServer.freePort();
    cluster.env.put("GATEHOUSE_TRUSTED_PROXIES", "127.0.0.1");
    cluster.env.put("GATEHOUSE_PUBLIC_URL", "http://127.0.0.1:" + nginxPort);
    for (int i = 1; i <= count; i++) {
      cluster.nodes.add(cluster.new Node(i, BenchServer.freePort(), BenchServer.freePort()));
    }
    try {
      // The first node alone (it runs the migrations), then the others together.
      cluster.launch(cluster.nodes.get(0));
      ExecutorService starter = Executors.newFixedThreadPool(Math.max(1, count - 1));
      try {
        List<Future<?>> started = new ArrayList<>();
        for (Node n : cluster.nodes.subList(1, count)) {
          started.add(starter.submit(() -> {
            cluster.launch(n);
            return null;
          }));
        }
        for (Future<?> f : started) {
          f.get(3, TimeUnit.MINUTES);
        }
      } finally {
        starter.shutdown();
      }
      cluster.nginx = Nginx.start(cluster.work.resolve("nginx"), nginxPort,
          cluster.nodes.stream().map(n -> n.port).toList());
      cluster.follower = new Thread(cluster::follow, "readiness-follower");
      cluster.following = true;
      cluster.follower.setDaemon(true);
      cluster.follower.start();
      return cluster;
    } catch (Exception | Error e) {
      cluster.close();
      throw e;
    }
  }

  private void launch(Node node) throws IOException, InterruptedException {
    node.starts++;
    String label = node.name() + (node.starts == 1 ? "" : "-start" + node.starts);
    node.server = BenchServer.start(label, jvmFlags, List.of("-jar", "gatehouse.jar"), env, work, jarDir,
        node.port, node.managementPort);
  }

  /** Starts the node again where it was (after a kill or a stop); the follower puts it back once it is ready. */
  public void restart(Node node) throws IOException, InterruptedException {
    if (node.server != null && node.server.process.isAlive()) {
      throw new IllegalStateException(node.name() + " is still running");
    }
    launch(node);
  }

  public List<Node> nodes() {
    return List.copyOf(nodes);
  }

  public Node node(int index) {
    return nodes.get(index - 1);
  }

  /** The node nginx names in an X-Gatehouse-Upstream value (its last try), or null. */
  public Node servedBy(String upstream) {
    if (upstream == null) {
      return null;
    }
    String[] tries = upstream.split(",");
    String last = tries[tries.length - 1].trim();
    return nodes.stream().filter(n -> n.address().equals(last)).findFirst().orElse(null);
  }

  public Nginx nginx() {
    return nginx;
  }

  public String baseUrl() {
    return nginx.baseUrl();
  }

  public List<Change> changes() {
    return List.copyOf(changes);
  }

  /** Whether nginx's upstream list has the node up now. */
  public synchronized boolean inNginx(Node node) {
    return node.inNginx;
  }

  /** Waits until the follower has put the node back into (or taken it out of) nginx. */
  public void awaitInNginx(Node node, boolean in, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (inNginx(node) != in) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(node.name() + (in ? " did not rejoin" : " was not taken out") + " within "
            + timeout);
      }
      Thread.sleep(20);
    }
  }

  // ------------------------------------------------------------------ the readiness follower

  private void follow() {
    while (following) {
      try {
        boolean changed = false;
        for (Node n : paused ? List.<Node>of() : nodes) {
          changed |= check(n);
        }
        if (changed) {
          synchronized (this) {
            Set<Integer> down = new TreeSet<>();
            nodes.stream().filter(n -> !n.inNginx).forEach(n -> down.add(n.port));
            nginx.setDown(down);
          }
        }
        Thread.sleep(POLL.toMillis());
      } catch (InterruptedException e) {
        return;
      } catch (Exception e) {
        changes.add(new Change(System.nanoTime(), "-", true, "follower error: " + e));
      }
    }
  }

  /** Probes one node; answers whether its place in nginx must change. */
  private boolean check(Node n) throws InterruptedException {
    String why;
    boolean ready;
    boolean timedOut = false;
    try {
      int status = probe.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.managementPort + "/health/ready"))
          .timeout(PROBE_TIMEOUT).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
      ready = status == 200;
      why = "/health/ready " + status;
    } catch (java.net.http.HttpTimeoutException e) {
      ready = false;
      timedOut = true;
      why = "/health/ready timed out";
    } catch (IOException e) {
      ready = false;
      why = "/health/ready unreachable (" + e.getClass().getSimpleName() + ")";
    }
    synchronized (this) {
      n.timeoutsInARow = timedOut ? n.timeoutsInARow + 1 : 0;
      if (ready && !n.inNginx) {
        n.inNginx = true;
        changes.add(new Change(System.nanoTime(), n.name(), true, why));
        return true;
      }
      if (!ready && n.inNginx && (!timedOut || n.timeoutsInARow >= TIMEOUTS_TO_FALL)) {
        n.inNginx = false;
        changes.add(new Change(System.nanoTime(), n.name(), false, why));
        return true;
      }
      return false;
    }
  }

  /**
   * Stops (or resumes) probing, for measuring windows whose database statements must be the
   * requests' alone (each probe runs {@code SELECT 1}); nginx keeps the list it has.
   */
  public void pauseFollower(boolean pause) {
    paused = pause;
  }

  /** Server CPU seconds of the given nodes' current processes. */
  public double cpuSeconds(List<Node> which) {
    double total = 0;
    for (Node n : which) {
      total += n.server.cpuSeconds();
    }
    return total;
  }

  @Override
  public void close() throws InterruptedException {
    following = false;
    if (follower != null) {
      follower.interrupt();
      follower.join(5000);
    }
    // SIGTERM to every node, then a second one, which ends the grace period now (nothing is routed any more).
    List<BenchServer> running = nodes.stream().map(n -> n.server).filter(s -> s != null && s.process.isAlive()).toList();
    running.forEach(s -> s.process.destroy());
    Thread.sleep(300);
    running.forEach(s -> s.process.destroy());
    for (BenchServer s : running) {
      if (!s.process.waitFor(40, TimeUnit.SECONDS)) {
        s.process.destroyForcibly();
      }
    }
    if (nginx != null) {
      nginx.close();
    }
  }
}
