package dev.gatehouse.bench;

import com.password4j.Argon2Function;
import com.password4j.types.Argon2;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Platform;
import de.mkammerer.argon2.Argon2Advanced;
import de.mkammerer.argon2.Argon2Factory;
import de.mkammerer.argon2.Argon2Factory.Argon2Types;
import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Argon2id speed, measured (foundation issue, item 8).
 *
 * <p>For each implementation, at the configured parameters (default m=19456 KiB, t=2, p=1, 32-byte
 * output, 16-byte salt): a cross-check that the output is the same Argon2id hash as the others and
 * as the C reference, a warm-up (minimum time and count), single-thread ms/hash (median of N), single-thread
 * verify ms (median of N), all-core hashes/s (one thread per core, fixed duration), STW GC time and
 * heap allocation during the measured phases.
 *
 * <p>One implementation per JVM gives the cleanest numbers (heap and JIT state are not shared);
 * {@code bench/argon2.sh} does that, K launches each, and prints the table. To run one JVM by hand after the
 * script has resolved the class path (it keeps only argon2-jvm, JNA, Bouncy Castle, password4j and slf4j-api):
 * <pre>
 *   CP=target/test-classes:$(tr ':' '\n' &lt; target/argon2-bench/classpath.full \
 *        | grep -E '/(argon2-jvm|argon2-jvm-nolibs|jna|bcprov-jdk18on|password4j|slf4j-api)-[0-9]' | paste -sd:)
 *   java -cp "$CP" -Dbench.impl=argon2-jvm -Dbench.argon2.lib=bundled dev.gatehouse.bench.Argon2Benchmark
 * </pre>
 *
 * <p>System properties (all optional):
 * <ul>
 *   <li>{@code bench.impl}: comma list of {@code argon2-jvm}, {@code bouncycastle}, {@code password4j} (default all three);
 *       {@code none} only reports which libargon2 JNA loads and runs the cross-check</li>
 *   <li>{@code bench.argon2.lib}: which libargon2 argon2-jvm uses: {@code default} (JNA's own lookup: a system
 *       libargon2 wins when one is installed), {@code system} (forced, {@code bench.argon2.systemLib},
 *       default /usr/lib/x86_64-linux-gnu/libargon2.so.1) or {@code bundled} (the copy inside the argon2-jvm jar, forced)</li>
 *   <li>{@code bench.m} (KiB, 19456), {@code bench.t} (2), {@code bench.p} (1)</li>
 *   <li>{@code bench.warmup.seconds} (5) and {@code bench.warmup.min} (50 hashes): the warm-up lasts for both;
 *       {@code bench.n} (30), {@code bench.allcore.seconds} (10),
 *       {@code bench.threads} (available processors)</li>
 *   <li>{@code bench.cli} (argon2): the C reference CLI for the cross-check; skipped when not found</li>
 *   <li>{@code bench.launch} (1): a label copied into the RESULT lines; {@code bench.workdir} (target/argon2-bench)</li>
 * </ul>
 *
 * <p>Output: human-readable lines, plus one machine-readable {@code RESULT key=value ...} line per
 * implementation that the script turns into a table. Exit status 1 when any cross-check fails.
 */
public final class Argon2Benchmark {

    static final int M = Integer.getInteger("bench.m", 19456);
    static final int T = Integer.getInteger("bench.t", 2);
    static final int P = Integer.getInteger("bench.p", 1);
    static final int HASH_LEN = 32;
    static final int SALT_LEN = 16;
    static final double WARMUP_S = Double.parseDouble(System.getProperty("bench.warmup.seconds", "5"));
    static final int WARMUP_MIN = Integer.getInteger("bench.warmup.min", 50);
    static final int N = Integer.getInteger("bench.n", 30);
    static final double ALLCORE_S = Double.parseDouble(System.getProperty("bench.allcore.seconds", "10"));
    static final int THREADS = Integer.getInteger("bench.threads", Runtime.getRuntime().availableProcessors());
    static final String LAUNCH = System.getProperty("bench.launch", "1");
    static final String LIB_MODE = System.getProperty("bench.argon2.lib", "default");
    static final Path SYSTEM_LIB = Paths.get(System.getProperty("bench.argon2.systemLib",
            "/usr/lib/x86_64-linux-gnu/libargon2.so.1"));
    static final Path WORKDIR = Paths.get(System.getProperty("bench.workdir", "target/argon2-bench"));
    static final String CLI = System.getProperty("bench.cli", "argon2");

    /** Fixed inputs for the cross-check. The salt is ASCII so the CLI can take it as an argument. */
    static final String CHECK_PASSWORD = "correct horse battery staple";
    static final String CHECK_SALT = "gatehouse-salt16"; // 16 bytes
    /** From the C reference ({@code argon2} CLI, Debian 0~20171227), valid only at m=19456, t=2, p=1, 32 bytes. */
    static final String KNOWN_ANSWER =
            "$argon2id$v=19$m=19456,t=2,p=1$Z2F0ZWhvdXNlLXNhbHQxNg$bsXFENIwjcWvJE0fNSKGJUdiUsIMdeBM0ApgamQdnew";

    static volatile int sink;

    /** libargon2 through argon2-jvm: the reference every other output is verified against. */
    static Argon2Jvm reference;

    /** One Argon2id implementation under test. {@link #newWorker()} gives each thread what it may not share. */
    interface Impl {
        String name();

        /** Raw output for a given salt (cross-check only). */
        byte[] raw(byte[] password, byte[] salt);

        /** Encoded PHC string for a given salt (cross-check only). */
        String encoded(byte[] password, byte[] salt);

        Worker newWorker();
    }

    /** What the timed loops call: hash a password with a fresh random salt; verify one encoded hash. */
    interface Worker {
        String hash(char[] password);

        boolean verify(String encoded, char[] password);
    }

    // ---------------------------------------------------------------- implementations

    /** argon2-jvm: libargon2 (the C reference) through JNA. One instance is shared by all threads. */
    static final class Argon2Jvm implements Impl {
        final Argon2Advanced argon2 = Argon2Factory.createAdvanced(Argon2Types.ARGON2id, SALT_LEN, HASH_LEN);

        @Override public String name() { return "argon2-jvm"; }

        @Override public byte[] raw(byte[] password, byte[] salt) {
            return argon2.rawHash(T, M, P, password, salt);
        }

        @Override public String encoded(byte[] password, byte[] salt) {
            char[] chars = new String(password, StandardCharsets.UTF_8).toCharArray();
            return argon2.hash(T, M, P, chars, StandardCharsets.UTF_8, salt);
        }

        @Override public Worker newWorker() {
            return new Worker() {
                @Override public String hash(char[] password) {
                    return argon2.hash(T, M, P, password); // salt from argon2-jvm's own SecureRandom
                }

                @Override public boolean verify(String encoded, char[] password) {
                    return argon2.verify(encoded, password);
                }
            };
        }
    }

    /** Bouncy Castle's pure-Java Argon2BytesGenerator. A generator is stateful, so one per thread. */
    static final class BouncyCastle implements Impl {
        @Override public String name() { return "bouncycastle"; }

        static Argon2Parameters params(byte[] salt, int m, int t, int p) {
            return new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id)
                    .withVersion(Argon2Parameters.ARGON2_VERSION_13)
                    .withMemoryAsKB(m).withIterations(t).withParallelism(p)
                    .withSalt(salt).build();
        }

        @Override public byte[] raw(byte[] password, byte[] salt) {
            Argon2BytesGenerator gen = new Argon2BytesGenerator();
            gen.init(params(salt, M, T, P));
            byte[] out = new byte[HASH_LEN];
            gen.generateBytes(password, out);
            return out;
        }

        @Override public String encoded(byte[] password, byte[] salt) {
            return Phc.encode(M, T, P, salt, raw(password, salt));
        }

        @Override public Worker newWorker() {
            Argon2BytesGenerator gen = new Argon2BytesGenerator();
            SecureRandom random = new SecureRandom();
            return new Worker() {
                @Override public String hash(char[] password) {
                    byte[] salt = new byte[SALT_LEN];
                    random.nextBytes(salt);
                    gen.init(params(salt, M, T, P));
                    byte[] out = new byte[HASH_LEN];
                    gen.generateBytes(password, out); // BC's default converter is UTF-8
                    return Phc.encode(M, T, P, salt, out);
                }

                @Override public boolean verify(String encoded, char[] password) {
                    Phc phc = Phc.parse(encoded);
                    gen.init(params(phc.salt, phc.m, phc.t, phc.p));
                    byte[] out = new byte[phc.hash.length];
                    gen.generateBytes(password, out);
                    return MessageDigest.isEqual(out, phc.hash);
                }
            };
        }
    }

    /** password4j's pure-Java Argon2Function (instances are cached per parameter set and shared). */
    static final class Password4j implements Impl {
        final Argon2Function function = Argon2Function.getInstance(M, T, P, HASH_LEN, Argon2.ID, Argon2Function.ARGON2_VERSION_13);

        @Override public String name() { return "password4j"; }

        @Override public byte[] raw(byte[] password, byte[] salt) {
            return function.hash(password, salt).getBytes();
        }

        @Override public String encoded(byte[] password, byte[] salt) {
            return function.hash(password, salt).getResult();
        }

        @Override public Worker newWorker() {
            SecureRandom random = new SecureRandom();
            return new Worker() {
                @Override public String hash(char[] password) {
                    byte[] salt = new byte[SALT_LEN];
                    random.nextBytes(salt);
                    byte[] pw = utf8(password);
                    try {
                        return function.hash(pw, salt).getResult();
                    } finally {
                        Arrays.fill(pw, (byte) 0);
                    }
                }

                @Override public boolean verify(String encoded, char[] password) {
                    byte[] pw = utf8(password);
                    try {
                        return function.check(pw, encoded.getBytes(StandardCharsets.US_ASCII));
                    } finally {
                        Arrays.fill(pw, (byte) 0);
                    }
                }
            };
        }
    }

    /** The PHC string format {@code $argon2id$v=19$m=..,t=..,p=..$salt$hash} (unpadded standard base64). */
    record Phc(int m, int t, int p, byte[] salt, byte[] hash) {
        static String encode(int m, int t, int p, byte[] salt, byte[] hash) {
            Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
            return "$argon2id$v=19$m=" + m + ",t=" + t + ",p=" + p + "$"
                    + b64.encodeToString(salt) + "$" + b64.encodeToString(hash);
        }

        static Phc parse(String encoded) {
            String[] parts = encoded.split("\\$");
            // "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
            if (parts.length != 6 || !parts[1].equals("argon2id") || !parts[2].equals("v=19")) {
                throw new IllegalArgumentException("not an Argon2id v=19 PHC string: " + encoded);
            }
            int m = -1, t = -1, p = -1;
            for (String kv : parts[3].split(",")) {
                String[] pair = kv.split("=", 2);
                int value = Integer.parseInt(pair[1]);
                switch (pair[0]) {
                    case "m" -> m = value;
                    case "t" -> t = value;
                    case "p" -> p = value;
                    default -> throw new IllegalArgumentException("unknown parameter " + pair[0]);
                }
            }
            Base64.Decoder b64 = Base64.getDecoder();
            return new Phc(m, t, p, b64.decode(parts[4]), b64.decode(parts[5]));
        }
    }

    // ---------------------------------------------------------------- main

    public static void main(String[] args) throws Exception {
        List<String> names = List.of(System.getProperty("bench.impl", "argon2-jvm,bouncycastle,password4j").split(","));
        System.out.printf(Locale.ROOT, "Argon2id m=%d KiB t=%d p=%d, %d-byte hash, %d-byte salt; warm-up %.0f s and %d hashes, N=%d, all-core %.0f s x %d threads; launch %s%n",
                M, T, P, HASH_LEN, SALT_LEN, WARMUP_S, WARMUP_MIN, N, ALLCORE_S, THREADS, LAUNCH);
        System.out.printf(Locale.ROOT, "JVM %s %s; %d CPUs; flags %s%n", System.getProperty("java.vm.name"),
                System.getProperty("java.runtime.version"), Runtime.getRuntime().availableProcessors(),
                ManagementFactory.getRuntimeMXBean().getInputArguments());

        // Must happen before anything touches argon2-jvm: JNA resolves the library once per JVM.
        prepareArgon2Library(LIB_MODE);
        reference = new Argon2Jvm();
        LoadedLib lib = loadedArgon2(reference);
        System.out.println("argon2-jvm native library (bench.argon2.lib=" + LIB_MODE + "): " + lib.describe());

        boolean ok = crossCheck(reference);
        if (!ok) {
            System.out.println("CROSS-CHECK FAILED: not benchmarking implementations that disagree");
            System.exit(1);
        }

        for (String name : names) {
            Impl impl = switch (name.trim()) {
                case "argon2-jvm" -> reference;
                case "bouncycastle" -> new BouncyCastle();
                case "password4j" -> new Password4j();
                case "none" -> null; // only report the library and run the cross-check
                default -> throw new IllegalArgumentException("unknown implementation " + name);
            };
            if (impl != null) {
                measure(impl, impl == reference ? "argon2-jvm/" + lib.origin : impl.name(),
                        impl == reference ? lib.path : "-");
            }
        }
        System.out.println("sink " + sink);
    }

    // ---------------------------------------------------------------- native library selection

    /**
     * argon2-jvm calls {@code Native.load("argon2", ...)}. JNA then tries, in order: paths registered with
     * {@link NativeLibrary#addSearchPath} and {@code jna.library.path}; {@code dlopen("libargon2.so")}; the
     * system library directories (including {@code libargon2.so.N} version matches, which is how Debian's
     * libargon2-1 gets picked up without the -dev symlink); and only last the copy inside the jar, which it
     * extracts to a temporary file. {@code jna.nosys} only concerns JNA's own jnidispatch, not libargon2.
     * To choose, this puts a directory holding exactly one {@code libargon2.so} first in the search.
     */
    static void prepareArgon2Library(String mode) throws IOException {
        String fileName = System.mapLibraryName("argon2");
        switch (mode) {
            case "default":
                return;
            case "system": {
                if (!Files.exists(SYSTEM_LIB)) {
                    throw new IllegalStateException("bench.argon2.lib=system but " + SYSTEM_LIB
                            + " does not exist (Debian: apt-get install -y libargon2-1)");
                }
                Path dir = WORKDIR.resolve("lib-system");
                Files.createDirectories(dir);
                Path link = dir.resolve(fileName);
                Files.deleteIfExists(link);
                Files.createSymbolicLink(link, SYSTEM_LIB.toAbsolutePath());
                NativeLibrary.addSearchPath("argon2", dir.toAbsolutePath().toString());
                return;
            }
            case "bundled": {
                Path dir = WORKDIR.resolve("lib-bundled");
                Files.createDirectories(dir);
                Path target = dir.resolve(fileName);
                try (InputStream in = bundledLibrary()) {
                    Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
                }
                NativeLibrary.addSearchPath("argon2", dir.toAbsolutePath().toString());
                return;
            }
            default:
                throw new IllegalArgumentException("bench.argon2.lib must be default, system or bundled: " + mode);
        }
    }

    static InputStream bundledLibrary() {
        String resource = Platform.RESOURCE_PREFIX + "/" + System.mapLibraryName("argon2");
        InputStream in = Argon2Factory.class.getClassLoader().getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("no " + resource + " on the class path (is de.mkammerer:argon2-jvm there?)");
        }
        return in;
    }

    /** The libargon2 really mapped into this process: {@code origin} is bundled, system or unknown. */
    record LoadedLib(String origin, String path, String sha256) {
        String describe() {
            return origin + " " + path + (sha256.isEmpty() ? "" : " (sha256 " + sha256.substring(0, 16) + ")");
        }
    }

    /** Reads /proc/self/maps after forcing the load, and compares the mapped file with the jar's copy. */
    static LoadedLib loadedArgon2(Argon2Jvm argon2) throws IOException {
        argon2.argon2.hash(1, 8, 1, new char[] {'x'}); // forces the load
        Path maps = Paths.get("/proc/self/maps");
        if (!Files.isReadable(maps)) {
            return new LoadedLib("unknown", "(no /proc/self/maps)", "");
        }
        String mapped = Files.readAllLines(maps).stream()
                .filter(l -> l.contains("argon2") && l.contains("/"))
                .map(l -> l.substring(l.indexOf('/')))
                .findFirst().orElse("(not mapped)");
        if (mapped.endsWith("(deleted)")) {
            // JNA's own fallback: extracted from the jar to a temporary file, deleted once loaded.
            return new LoadedLib("bundled", mapped.replace(' ', '_'), "");
        }
        Path path = Paths.get(mapped);
        if (!Files.isRegularFile(path)) {
            return new LoadedLib("unknown", mapped.replace(' ', '_'), "");
        }
        String bundledSha;
        try (InputStream in = bundledLibrary()) {
            bundledSha = sha256(in.readAllBytes());
        }
        String sha = sha256(Files.readAllBytes(path));
        return new LoadedLib(sha.equals(bundledSha) ? "bundled" : "system", path.toRealPath().toString(), sha);
    }

    // ---------------------------------------------------------------- cross-check

    static boolean crossCheck(Argon2Jvm reference) throws Exception {
        byte[] pw = CHECK_PASSWORD.getBytes(StandardCharsets.UTF_8);
        byte[] salt = CHECK_SALT.getBytes(StandardCharsets.US_ASCII);
        List<String> failures = new ArrayList<>();

        String ref = reference.encoded(pw, salt);
        byte[] refRaw = reference.raw(pw, salt);
        Phc phc = Phc.parse(ref);
        check(failures, phc.m == M && phc.t == T && phc.p == P, "argon2-jvm encoded parameters " + ref);
        check(failures, Arrays.equals(phc.salt, salt), "argon2-jvm encoded salt");
        check(failures, Arrays.equals(phc.hash, refRaw), "argon2-jvm encoded hash == its raw hash");
        check(failures, phc.hash.length == HASH_LEN, "hash length " + phc.hash.length);
        if (M == 19456 && T == 2 && P == 1) {
            check(failures, ref.equals(KNOWN_ANSWER), "argon2-jvm == known answer from the C reference CLI");
        }

        // Bouncy Castle: recompute from the parameters and salt *decoded from argon2-jvm's string*.
        BouncyCastle bc = new BouncyCastle();
        Argon2BytesGenerator gen = new Argon2BytesGenerator();
        gen.init(BouncyCastle.params(phc.salt, phc.m, phc.t, phc.p));
        byte[] bcRaw = new byte[phc.hash.length];
        gen.generateBytes(pw, bcRaw);
        check(failures, Arrays.equals(bcRaw, phc.hash), "argon2-jvm's encoded hash verifies with Bouncy Castle's raw output");
        String bcEncoded = bc.encoded(pw, salt);
        check(failures, bcEncoded.equals(ref), "Bouncy Castle encoded == argon2-jvm encoded");
        check(failures, reference.argon2.verify(bcEncoded, CHECK_PASSWORD.toCharArray()), "libargon2 verifies Bouncy Castle's hash");
        check(failures, bc.newWorker().verify(ref, CHECK_PASSWORD.toCharArray()), "Bouncy Castle verifies argon2-jvm's hash");

        Password4j p4j = new Password4j();
        String p4jEncoded = p4j.encoded(pw, salt);
        check(failures, p4jEncoded.equals(ref), "password4j encoded == argon2-jvm encoded (" + p4jEncoded + ")");
        check(failures, Arrays.equals(p4j.raw(pw, salt), refRaw), "password4j raw == argon2-jvm raw");
        check(failures, reference.argon2.verify(p4jEncoded, CHECK_PASSWORD.toCharArray()), "libargon2 verifies password4j's hash");
        check(failures, p4j.newWorker().verify(ref, CHECK_PASSWORD.toCharArray()), "password4j verifies argon2-jvm's hash");

        // Wrong password must fail everywhere.
        char[] wrong = "correct horse battery stapl3".toCharArray();
        check(failures, !reference.argon2.verify(ref, wrong), "argon2-jvm rejects a wrong password");
        check(failures, !bc.newWorker().verify(ref, wrong), "Bouncy Castle rejects a wrong password");
        check(failures, !p4j.newWorker().verify(ref, wrong), "password4j rejects a wrong password");

        // Fresh random-salt hashes from every worker verify with libargon2.
        for (Impl impl : List.of(reference, bc, p4j)) {
            String h = impl.newWorker().hash(CHECK_PASSWORD.toCharArray());
            check(failures, reference.argon2.verify(h, CHECK_PASSWORD.toCharArray()) && Phc.parse(h).salt.length == SALT_LEN,
                    impl.name() + " random-salt hash verifies with libargon2");
        }

        String cli = runCli();
        if (cli == null) {
            System.out.println("cross-check: argon2 CLI not found (apt-get install -y argon2), skipped");
        } else {
            check(failures, cli.equals(ref), "argon2 CLI == argon2-jvm (" + cli + ")");
        }

        if (failures.isEmpty()) {
            System.out.println("cross-check OK: argon2-jvm, Bouncy Castle, password4j" + (cli != null ? " and the argon2 CLI" : "")
                    + " give the same Argon2id hash: " + ref);
            return true;
        }
        failures.forEach(f -> System.out.println("cross-check FAILED: " + f));
        return false;
    }

    static void check(List<String> failures, boolean condition, String what) {
        if (!condition) {
            failures.add(what);
        }
    }

    /** {@code echo -n PASSWORD | argon2 SALT -id -t T -k M -p P -l 32 -e}, or null when the CLI is missing. */
    static String runCli() throws InterruptedException {
        try {
            Process process = new ProcessBuilder(CLI, CHECK_SALT, "-id", "-t", String.valueOf(T), "-k", String.valueOf(M),
                    "-p", String.valueOf(P), "-l", String.valueOf(HASH_LEN), "-e").redirectErrorStream(true).start();
            process.getOutputStream().write(CHECK_PASSWORD.getBytes(StandardCharsets.UTF_8));
            process.getOutputStream().close();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                return "(CLI failed: " + out + ")";
            }
            return out;
        } catch (IOException notFound) {
            return null;
        }
    }

    // ---------------------------------------------------------------- measurement

    static void measure(Impl impl, String label, String lib) throws Exception {
        char[] password = CHECK_PASSWORD.toCharArray();
        Worker worker = impl.newWorker();

        // Warm-up, single thread, at least WARMUP_S seconds and WARMUP_MIN hashes (a busy machine gives few
        // hashes per second, and the JIT needs calls, not seconds); the first call's time shows the cold start.
        long t0 = System.nanoTime();
        sink += worker.hash(password).length();
        double firstMs = (System.nanoTime() - t0) / 1e6;
        long warmupEnd = t0 + (long) (WARMUP_S * 1e9);
        int warmups = 1;
        long gcWarm0 = gcMillis();
        while (System.nanoTime() < warmupEnd || warmups < WARMUP_MIN) {
            sink += worker.hash(password).length();
            warmups++;
        }
        double warmupLastMs = timeOne(worker, password);
        long gcWarm = gcMillis() - gcWarm0;

        long gc0 = gcMillis();
        long gcCount0 = gcCount();
        long alloc0 = allocatedBytes();

        // Wall time and this thread's CPU time per hash: on a busy machine the wall time grows when the
        // thread waits for a core, the CPU time much less, so the pair shows how much contention there was.
        java.lang.management.ThreadMXBean threadBean = ManagementFactory.getThreadMXBean();
        double[] hashMs = new double[N];
        double[] hashCpuMs = new double[N];
        String encoded = null;
        for (int i = 0; i < N; i++) {
            long c = threadBean.getCurrentThreadCpuTime();
            long s = System.nanoTime();
            encoded = worker.hash(password);
            hashMs[i] = (System.nanoTime() - s) / 1e6;
            hashCpuMs[i] = (threadBean.getCurrentThreadCpuTime() - c) / 1e6;
            sink += encoded.length();
        }
        long allocPerHash = (allocatedBytes() - alloc0) / N;

        double[] verifyMs = new double[N];
        long verifyAlloc0 = allocatedBytes();
        for (int i = 0; i < N; i++) {
            long s = System.nanoTime();
            boolean ok = worker.verify(encoded, password);
            verifyMs[i] = (System.nanoTime() - s) / 1e6;
            if (!ok) {
                throw new IllegalStateException(label + ": verify of its own hash failed");
            }
        }

        long verifyAllocPerCall = (allocatedBytes() - verifyAlloc0) / N;

        AllCore allCore = allCore(impl, password);
        long gcMs = gcMillis() - gc0;
        long gcCount = gcCount() - gcCount0;

        Arrays.sort(hashMs);
        Arrays.sort(hashCpuMs);
        Arrays.sort(verifyMs);
        double median = median(hashMs);
        double cpuMedian = median(hashCpuMs);
        System.out.printf(Locale.ROOT,
                "%-22s launch %s: first hash %.1f ms; warm-up %d hashes (GC %d ms), last %.1f ms%n"
                        + "%-22s   single thread: median %.2f ms/hash (min %.2f, max %.2f, N=%d) = %.1f hashes/s; CPU time %.2f ms/hash; verify median %.2f ms%n"
                        + "%-22s   all cores: %d threads x %.1f s: %.1f hashes/s (per thread %s); the threads got %.0f%% of their cores%n"
                        + "%-22s   GC during measurement: %d ms in %d pauses; heap allocated %.2f MiB/hash, %.2f MiB/verify; peak RSS %s%n",
                label, LAUNCH, firstMs, warmups, gcWarm, warmupLastMs,
                "", median, hashMs[0], hashMs[N - 1], N, 1000 / median, cpuMedian, median(verifyMs),
                "", THREADS, allCore.seconds, allCore.rate, Arrays.toString(allCore.perThread), 100 * allCore.cpuShare,
                "", gcMs, gcCount, allocPerHash / 1048576.0, verifyAllocPerCall / 1048576.0, peakRss());
        System.out.printf(Locale.ROOT,
                "RESULT impl=%s launch=%s st_ms=%.2f st_cpu_ms=%.2f st_min_ms=%.2f st_max_ms=%.2f verify_ms=%.2f allcore_hps=%.1f allcore_cpu_pct=%.0f threads=%d gc_ms=%d gc_count=%d alloc_mib_per_hash=%.2f first_ms=%.1f lib=%s%n",
                label, LAUNCH, median, cpuMedian, hashMs[0], hashMs[N - 1], median(verifyMs), allCore.rate, 100 * allCore.cpuShare, THREADS, gcMs, gcCount,
                allocPerHash / 1048576.0, firstMs, lib);
    }

    static double timeOne(Worker worker, char[] password) {
        long s = System.nanoTime();
        sink += worker.hash(password).length();
        return (System.nanoTime() - s) / 1e6;
    }

    /** cpuShare: the hashing threads' CPU time / (threads x wall time); below 1 when other processes took the cores. */
    record AllCore(double rate, double seconds, long[] perThread, double cpuShare) {}

    /**
     * One thread per core, each with its own worker, started together; each stops starting new hashes at the
     * deadline. Rate = all completed hashes / (last completion - start), so no partial hash is counted or lost.
     */
    static AllCore allCore(Impl impl, char[] password) throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(THREADS);
        CountDownLatch go = new CountDownLatch(1);
        long[] counts = new long[THREADS];
        String[] lastHashes = new String[THREADS];
        AtomicLong lastEnd = new AtomicLong();
        AtomicLong cpuNanos = new AtomicLong();
        java.lang.management.ThreadMXBean threadBean = ManagementFactory.getThreadMXBean();
        AtomicReference<Throwable> error = new AtomicReference<>();
        long[] start = new long[1];
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < THREADS; i++) {
            int index = i;
            Thread thread = new Thread(() -> {
                Worker worker = impl.newWorker();
                char[] pw = password.clone();
                ready.countDown();
                try {
                    go.await();
                    long cpu0 = threadBean.getCurrentThreadCpuTime();
                    long deadline = start[0] + (long) (ALLCORE_S * 1e9);
                    long n = 0;
                    int local = 0;
                    long end = System.nanoTime();
                    String last = null;
                    while (end < deadline) {
                        last = worker.hash(pw);
                        local += last.length();
                        n++;
                        end = System.nanoTime();
                    }
                    lastHashes[index] = last;
                    counts[index] = n;
                    cpuNanos.addAndGet(threadBean.getCurrentThreadCpuTime() - cpu0);
                    lastEnd.accumulateAndGet(end, Math::max);
                    sink += local;
                } catch (Throwable e) {
                    error.compareAndSet(null, e);
                }
            }, "argon2-bench-" + i);
            threads.add(thread);
            thread.start();
        }
        ready.await();
        start[0] = System.nanoTime();
        go.countDown();
        for (Thread thread : threads) {
            thread.join();
        }
        if (error.get() != null) {
            throw new IllegalStateException("all-core run failed", error.get());
        }
        // Concurrency must not corrupt anything: each thread's last hash has to verify with libargon2.
        for (String last : lastHashes) {
            if (last == null || !reference.argon2.verify(last, password.clone())) {
                throw new IllegalStateException(impl.name() + ": a hash made during the all-core run does not verify: " + last);
            }
        }
        long total = Arrays.stream(counts).sum();
        double seconds = (lastEnd.get() - start[0]) / 1e9;
        return new AllCore(total / seconds, seconds, counts, cpuNanos.get() / 1e9 / (THREADS * seconds));
    }

    static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    static long gcMillis() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionTime());
        }
        return sum;
    }

    static long gcCount() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionCount());
        }
        return sum;
    }

    static long allocatedBytes() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (bean instanceof com.sun.management.ThreadMXBean sun) {
            return sun.getThreadAllocatedBytes(Thread.currentThread().getId());
        }
        return 0;
    }

    static String peakRss() {
        try {
            return Files.readAllLines(Paths.get("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmHWM:"))
                    .map(l -> l.substring(6).trim()).findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] utf8(char[] chars) {
        java.nio.ByteBuffer buffer = StandardCharsets.UTF_8.encode(java.nio.CharBuffer.wrap(chars));
        byte[] bytes = Arrays.copyOfRange(buffer.array(), buffer.position(), buffer.limit());
        Arrays.fill(buffer.array(), (byte) 0);
        return bytes;
    }

    private Argon2Benchmark() {}
}
