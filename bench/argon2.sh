#!/usr/bin/env bash
# Argon2id speed, measured (foundation issue, item 8).
#
#   bench/argon2.sh [LAUNCHES]        default 3
#
# Builds the test classes if needed, then runs dev.gatehouse.bench.Argon2Benchmark in LAUNCHES rounds;
# each round starts one fresh JVM per implementation (same JVM flags for all) and runs the `argon2`
# CLI (the C reference) as a yardstick. Prints a table at the end. Installs nothing.
#
# Environment (all optional):
#   BENCH_JVM_FLAGS  JVM flags for every launch   (default: -Xms1g -Xmx1g -XX:+UseG1GC)
#   BENCH_PROPS      extra -D flags for the benchmark, e.g. "-Dbench.m=65536 -Dbench.t=3 -Dbench.allcore.seconds=20"
#                    (see the class javadoc: bench.m/t/p, bench.warmup.seconds, bench.warmup.min, bench.n, bench.allcore.seconds, bench.threads)
#   BENCH_IMPLS      what to run per round        (default: "argon2-jvm:system argon2-jvm:bundled bouncycastle password4j")
#   CLI_N            hashes per CLI measurement   (default 30; the parallel run does CLI_N per core)
#   BENCH_SYSTEM_LIB the system libargon2         (default: /usr/lib/<arch>-linux-gnu/libargon2.so.1, Debian's libargon2-1)
#   MVN_FLAGS        flags for ./mvnw             (default: -o, offline; set MVN_FLAGS= to let Maven download)
set -euo pipefail
cd "$(dirname "$0")/.."

LAUNCHES=${1:-${LAUNCHES:-3}}
JVM_FLAGS=${BENCH_JVM_FLAGS:--Xms1g -Xmx1g -XX:+UseG1GC}
PROPS=${BENCH_PROPS:-}
IMPLS=${BENCH_IMPLS:-argon2-jvm:system argon2-jvm:bundled bouncycastle password4j}
CLI_N=${CLI_N:-30}
MVN_FLAGS=${MVN_FLAGS--o}
SYSTEM_LIB=${BENCH_SYSTEM_LIB:-/usr/lib/$(uname -m)-linux-gnu/libargon2.so.1}
WORK=target/argon2-bench
CLASS=target/test-classes/dev/gatehouse/bench/Argon2Benchmark.class
SRC=src/test/java/dev/gatehouse/bench/Argon2Benchmark.java
mkdir -p "$WORK"

# Parameters as the Java side sees them (so the CLI yardstick uses the same ones).
prop() { local v; v=$(grep -o -- "-Dbench\.$1=[^ ]*" <<<"$PROPS" | tail -1 | cut -d= -f2); echo "${v:-$2}"; }
M=$(prop m 19456); T=$(prop t 2); P=$(prop p 1)

# ---- build (only when needed)
if [[ ! -f $CLASS || $SRC -nt $CLASS || pom.xml -nt $CLASS ]]; then
  echo "== building test classes (./mvnw $MVN_FLAGS -q test-compile)"
  ./mvnw $MVN_FLAGS -q test-compile
fi
if [[ ! -f $WORK/classpath.full || pom.xml -nt $WORK/classpath.full ]]; then
  echo "== resolving the test class path"
  ./mvnw $MVN_FLAGS -q dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/classpath.full"
fi
# Only what the benchmark needs: no logging backend, no Vert.x, nothing else initialising in the timed JVM.
CP=target/test-classes:$(tr ':' '\n' <"$WORK/classpath.full" \
  | grep -E '/(argon2-jvm|argon2-jvm-nolibs|jna|bcprov-jdk18on|password4j|slf4j-api)-[0-9][^/]*\.jar$' | paste -sd:)

# ---- machine
echo "== machine: $(nproc) CPUs, $(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)"
echo "== JVM: $(java -version 2>&1 | head -1); flags: $JVM_FLAGS $PROPS"
echo "== load before: $(uptime)"
CLI=$(command -v argon2 || true)
if [[ -z $CLI ]]; then
  echo "== argon2 CLI not found: the C-reference yardstick and cross-check are skipped."
  echo "   To include them: apt-get install -y argon2"
fi

# What JNA loads when nobody chooses (a system libargon2 wins over the jar's copy when one is installed).
# shellcheck disable=SC2086
java $JVM_FLAGS -cp "$CP" -Dbench.impl=none -Dbench.argon2.lib=default $PROPS dev.gatehouse.bench.Argon2Benchmark \
  | grep -E 'native library|cross-check' | sed 's/^/== default lookup: /'

RESULTS=$WORK/results.txt
: >"$RESULTS"

now_ns() { date +%s%N; }

# ---- CLI yardstick: N hashes one after another (median of the CLI's own timing, plus wall time incl.
# process start), and one worker per core doing N hashes each in parallel (total hashes / wall time).
cli_round() {
  local launch=$1 salt=gatehouse-salt16 pw=$WORK/cli-password cpu=() wall=() t0 t1 i w
  printf 'correct horse battery staple' >"$pw"
  for ((i = 0; i < CLI_N; i++)); do
    t0=$(now_ns)
    # The CLI prints "0.061 seconds": clock(), i.e. the process's CPU time for the hash alone.
    cpu+=("$("$CLI" "$salt" -id -t "$T" -k "$M" -p "$P" -l 32 <"$pw" | awk '/seconds/ {print $1 * 1000}')")
    t1=$(now_ns)
    wall+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", (b-a)/1e6}')")
  done
  local cpu_median wall_median cores par_t0 par_t1 rate
  cpu_median=$(median "${cpu[@]}")
  wall_median=$(median "${wall[@]}")
  cores=$(nproc)
  par_t0=$(now_ns)
  for ((w = 0; w < cores; w++)); do
    ( for ((i = 0; i < CLI_N; i++)); do "$CLI" "$salt" -id -t "$T" -k "$M" -p "$P" -l 32 -r <"$pw" >/dev/null; done ) &
  done
  wait
  par_t1=$(now_ns)
  rate=$(awk -v a="$par_t0" -v b="$par_t1" -v n=$((CLI_N * cores)) 'BEGIN {printf "%.1f", n/((b-a)/1e9)}')
  echo "argon2 CLI             launch $launch: single thread median $wall_median ms/hash wall (a new process each), CPU time $cpu_median ms/hash (the CLI's own clock()); $cores processes in parallel: $rate hashes/s"
  echo "RESULT impl=argon2-cli launch=$launch st_ms=$wall_median st_cpu_ms=$cpu_median verify_ms=- allcore_hps=$rate allcore_cpu_pct=- threads=$cores gc_ms=- alloc_mib_per_hash=- lib=$CLI" >>"$RESULTS"
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

for ((launch = 1; launch <= LAUNCHES; launch++)); do
  echo
  echo "======== launch $launch of $LAUNCHES ($(uptime | sed 's/.*load/load/'))"
  for spec in $IMPLS; do
    impl=${spec%%:*}
    lib=default
    [[ $spec == *:* ]] && lib=${spec#*:}
    if [[ $lib == system && ! -e $SYSTEM_LIB ]]; then
      echo "argon2-jvm/system: skipped, no $SYSTEM_LIB (Debian: apt-get install -y libargon2-1)"
      continue
    fi
    log=$WORK/launch-$launch-${impl}-${lib}.log
    # shellcheck disable=SC2086
    if ! java $JVM_FLAGS -cp "$CP" -Dbench.impl="$impl" -Dbench.argon2.lib="$lib" -Dbench.launch="$launch" \
        -Dbench.argon2.systemLib="$SYSTEM_LIB" -Dbench.workdir="$WORK" $PROPS dev.gatehouse.bench.Argon2Benchmark >"$log" 2>&1; then
      cat "$log"
      echo "!! $impl ($lib) failed, see $log" >&2
      exit 1
    fi
    noise='^(RESULT|sink|JVM|Argon2id m=)|cross-check OK'
    [[ $impl == argon2-jvm ]] || noise="$noise|native library"
    grep -vE "$noise" "$log" || true
    grep '^RESULT' "$log" >>"$RESULTS"
  done
  grep -h 'cross-check OK' "$WORK"/launch-"$launch"-*.log | head -1 | sed 's/: \$.*/ (every JVM of this round)/'
  if [[ -n $CLI ]]; then cli_round "$launch"; fi
done
echo
echo "== load after: $(uptime)"

# ---- table
echo
echo "Argon2id m=$M KiB, t=$T, p=$P, 32-byte hash, 16-byte salt; $(nproc) CPUs; JVM flags: $JVM_FLAGS"
awk '
  function kv(line, key,   re) { re = " " key "=[^ ]*"; if (match(line, re)) return substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 2); return "-" }
  function norm(hps, pct) { return (pct == "-" || pct + 0 == 0) ? "-" : sprintf("%.1f", hps * 100 / pct) }
  function range(list,   a, c, i, lo, hi) { c = split(list, a, " "); lo = hi = a[1]; for (i = 2; i <= c; i++) { if (a[i] + 0 < lo + 0) lo = a[i]; if (a[i] + 0 > hi + 0) hi = a[i] } return lo == hi ? lo : lo " - " hi }
  {
    impl = kv($0, "impl")
    if (!(impl in seen)) { seen[impl] = 1; order[++k] = impl }
    rows[impl] = rows[impl] sprintf("| %-18s | %6s | %9s | %9s | %9s | %9s | %5s | %9s | %6s | %8s |\n", impl, kv($0, "launch"), kv($0, "st_ms"), kv($0, "st_cpu_ms"), kv($0, "verify_ms"), kv($0, "allcore_hps"), kv($0, "allcore_cpu_pct"), norm(kv($0, "allcore_hps"), kv($0, "allcore_cpu_pct")), kv($0, "gc_ms"), kv($0, "alloc_mib_per_hash"))
    st[impl] = st[impl] " " kv($0, "st_ms"); cpu[impl] = cpu[impl] " " kv($0, "st_cpu_ms"); ac[impl] = ac[impl] " " kv($0, "allcore_hps")
  }
  END {
    print "| implementation     | launch | 1 thread  | 1 thread  | verify    | all cores | CPU   | hashes/s  | GC     | heap     |"
    print "|                    |        | ms/hash   | CPU ms    | ms        | hashes/s  | got % | / CPU got | ms     | MiB/hash |"
    print "|--------------------|--------|-----------|-----------|-----------|-----------|-------|-----------|--------|----------|"
    for (i = 1; i <= k; i++) printf("%s", rows[order[i]])
    print ""
    print "| implementation     | 1 thread ms/hash | 1 thread CPU ms/hash | all cores hashes/s |"
    print "|--------------------|------------------|----------------------|--------------------|"
    for (i = 1; i <= k; i++) printf("| %-18s | %-16s | %-20s | %-18s |\n", order[i], range(st[order[i]]), range(cpu[order[i]]), range(ac[order[i]]))
  }' "$RESULTS"
echo "1 thread: median of N sequential hashes (wall, and the thread's CPU time). all cores: one thread per core for a fixed"
echo "time; 'CPU got' = the hashing threads' CPU time / (threads x wall): below 100% means other processes took cores;"
echo "'hashes/s / CPU got' estimates the all-core rate with the cores to ourselves (for the pure-Java ones it leaves out GC threads' CPU)."
echo "GC: stop-the-world pauses during the measured phases. heap: Java heap allocated per hash (libargon2 uses native memory)."
echo
echo "Logs: $WORK/launch-*.log; raw results: $RESULTS"
