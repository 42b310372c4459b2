#!/usr/bin/env bash
# The login benchmark: figures (a)-(g), anonymous page views and the behaviour under overload, side by side in one run,
# with the machine's description and the load average. See docs/performance.md.
#
#   bench/login-bench.sh            full run (about 12 minutes; run it on a quiet machine)
#   bench/login-bench.sh --quick    short durations, to check that it works (figures are rough)
#   BENCH_PROPS=-Dbench.only=second-step bench/login-bench.sh   only (c) and (d), a few minutes
#
# Environment (optional):
#   BENCH_JVM_FLAGS  JVM flags of the server and of the hash loop (a)   default: -XX:+UseG1GC -Xmx256m
#   BENCH_PROPS      -D settings: -Dbench.warmup=30 -Dbench.measure=20 -Dbench.overload=15
#                    -Dbench.sessions=100000 -Dbench.anonymousViews=60000 -Dbench.totpUsers=60000
#                    -Dbench.secondStepRate=20
#   GATEHOUSE_*      the server's configuration (e.g. GATEHOUSE_HASH_THREADS, GATEHOUSE_ARGON2_MEMORY_KIB):
#                    (a) and (b) use the configured Argon2 parameters
# Writes target/load/bench/results.txt and the server logs next to it. Sends traffic to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/classpath.sh
JVM_FLAGS=${BENCH_JVM_FLAGS:--XX:+UseG1GC -Xmx256m}
PROPS=${BENCH_PROPS:-}
if [[ ${1:-} == --quick ]]; then
  PROPS="-Dbench.warmup=2 -Dbench.measure=5 -Dbench.overload=5 -Dbench.sessions=10000 -Dbench.anonymousViews=3000 -Dbench.totpUsers=6000 $PROPS"
fi
echo "== $(date -u +%FT%TZ) $(uname -srm); nproc $(nproc); $(uptime)"
# shellcheck disable=SC2086
exec java -Xmx1g -cp "$CP" -Dbench.serverClasspath="$SERVER_CP" -Dbench.serverJar=target/gatehouse.jar \
  -Dbench.jvm="$JVM_FLAGS" $PROPS \
  dev.gatehouse.load.LoginBench
