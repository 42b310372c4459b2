package dev.gatehouse.load;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What Linux says about a process: CPU time and resident memory, from /proc. */
public final class Proc {

  /** USER_HZ: the unit of utime/stime in /proc/PID/stat; 100 on every Linux this runs on. */
  private static final double TICKS_PER_SECOND = ticks();

  private Proc() {
  }

  /** User + system CPU seconds the process has used so far (all its threads). */
  public static double cpuSeconds(long pid) {
    String stat = read(Path.of("/proc", Long.toString(pid), "stat"));
    // Fields after the command name, which is in parentheses and may hold spaces.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    long utime = Long.parseLong(f[11]);
    long stime = Long.parseLong(f[12]);
    return (utime + stime) / TICKS_PER_SECOND;
  }

  /**
   * CPU seconds per thread group of the process (user, system), by thread name with numbers folded
   * ("vert.x-eventloo", "C2 CompilerThre", "gatehouse-argon", …): where its CPU time went.
   */
  public static java.util.Map<String, double[]> threadCpu(long pid) {
    java.util.Map<String, double[]> by = new java.util.TreeMap<>();
    java.io.File[] tasks = new java.io.File("/proc/" + pid + "/task").listFiles();
    if (tasks == null) {
      return by;
    }
    for (java.io.File task : tasks) {
      try {
        String stat = Files.readString(task.toPath().resolve("stat"));
        String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[0-9#]+", "").trim();
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        double[] cpu = by.computeIfAbsent(name, k -> new double[2]);
        cpu[0] += Long.parseLong(f[11]) / TICKS_PER_SECOND;
        cpu[1] += Long.parseLong(f[12]) / TICKS_PER_SECOND;
      } catch (IOException | RuntimeException e) {
        // the thread ended meanwhile
      }
    }
    return by;
  }

  /** {@code after - before}, per thread group, largest first, as "name user+sys s" lines. */
  public static String threadCpuDelta(java.util.Map<String, double[]> before, java.util.Map<String, double[]> after,
                                      long operations) {
    java.util.List<java.util.Map.Entry<String, double[]>> rows = new java.util.ArrayList<>();
    double total = 0;
    for (var e : after.entrySet()) {
      double[] b = before.getOrDefault(e.getKey(), new double[2]);
      double[] d = {e.getValue()[0] - b[0], e.getValue()[1] - b[1]};
      if (d[0] + d[1] > 0.005) {
        rows.add(java.util.Map.entry(e.getKey(), d));
      }
      total += d[0] + d[1];
    }
    rows.sort((x, y) -> Double.compare(y.getValue()[0] + y.getValue()[1], x.getValue()[0] + x.getValue()[1]));
    StringBuilder out = new StringBuilder();
    for (var r : rows) {
      double sum = r.getValue()[0] + r.getValue()[1];
      out.append(String.format(java.util.Locale.ROOT, "      %-16s %6.2f s (user %.2f, sys %.2f) %5.1f%%  %7.0f µs per op%n",
          r.getKey(), sum, r.getValue()[0], r.getValue()[1], 100 * sum / total, sum * 1e6 / Math.max(1, operations)));
    }
    return out.toString();
  }

  /** CPU seconds of a process and its direct children (PostgreSQL: the postmaster and its backends). */
  public static double familyCpuSeconds(long pid) {
    double total = 0;
    java.io.File[] all = new java.io.File("/proc").listFiles((dir, name) -> name.chars().allMatch(Character::isDigit));
    if (all == null) {
      return Double.NaN;
    }
    for (java.io.File proc : all) {
      try {
        String stat = Files.readString(proc.toPath().resolve("stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        long self = Long.parseLong(proc.getName());
        long parent = Long.parseLong(f[1]);
        if (self == pid || parent == pid) {
          total += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS_PER_SECOND;
        }
      } catch (IOException | RuntimeException e) {
        // gone meanwhile
      }
    }
    return total;
  }

  /** VmRSS in MiB. */
  public static double rssMiB(long pid) {
    for (String line : read(Path.of("/proc", Long.toString(pid), "status")).split("\n")) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
      }
    }
    return Double.NaN;
  }

  public static String loadAverage() {
    return read(Path.of("/proc/loadavg")).trim();
  }

  public static String cpuModel() {
    for (String line : read(Path.of("/proc/cpuinfo")).split("\n")) {
      if (line.startsWith("model name")) {
        return line.substring(line.indexOf(':') + 1).trim();
      }
    }
    return System.getProperty("os.arch");
  }

  private static double ticks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes()).trim();
      p.waitFor();
      return Double.parseDouble(out);
    } catch (Exception e) {
      return 100;
    }
  }

  private static String read(Path path) {
    try {
      return Files.readString(path);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes a directory and everything in it (a scratch cluster of an earlier run); absent is fine. */
  static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
        Files.delete(p);
      }
    }
  }
}
