#!/usr/bin/env bash
# Where a server's time went, from a JFR recording: bench/login-bench.sh with BENCH_PROPS=-Dbench.jfr=true
# records each measured window (jcmd PID JFR.start … JFR.stop) into target/load/bench/profile-LABEL.jfr;
# any running server can be recorded the same way: jcmd PID JFR.start duration=30s filename=x.jfr
#
#   bench/jfr-summary.sh FILE.jfr [TOP]
#
# Prints, for CPU samples of Java code (jdk.ExecutionSample): samples by thread, then the methods
# most often on the stack (inclusive: a method counts when it is anywhere in a sample's stack),
# restricted to the layers worth reading (Gatehouse, vertx-web, the pg client, logging, crypto, JSON).
set -euo pipefail
FILE=$1
TOP=${2:-40}
jfr summary "$FILE" | sed -n '4,6p'
jfr print --stack-depth 96 --events jdk.ExecutionSample "$FILE" | awk -v top="$TOP" '
  function flush() { for (f in seen) incl[f]++; delete seen }
  /jdk.ExecutionSample/ { flush(); n++ }
  /sampledThread = "/ { split($0, a, "\""); t = a[2]; gsub(/-[0-9]+$/, "-N", t); threads[t]++ }
  /^[ \t]+[a-zA-Z_$][a-zA-Z0-9_$.]*\.[a-zA-Z_$<][^ ]*\(.*\)/ {
    f = $0; sub(/^[ \t]+/, "", f); sub(/[ \t]+line:.*/, "", f); sub(/\(.*/, "", f); seen[f] = 1 }
  END {
    flush()
    printf "== CPU samples of Java code: %d\n-- by thread\n", n
    for (t in threads) printf "%7d %5.1f%%  %s\n", threads[t], 100 * threads[t] / n, t | "sort -rn"
    close("sort -rn")
    printf "-- methods on the stack (inclusive), selected layers\n"
    for (f in incl) if (f ~ /^(dev\.gatehouse|io\.vertx\.ext\.web|io\.vertx\.pgclient|io\.vertx\.sqlclient\.impl\.pool|ch\.qos\.logback\.core\.(OutputStreamAppender|spi\.AppenderAttachableImpl)|javax\.crypto\.Cipher\.doFinal|javax\.crypto\.Mac\.doFinal|com\.fasterxml\.jackson\.databind|io\.vertx\.core\.json|io\.vertx\.core\.http\.impl\.Http1xServerConnection\.handle|io\.netty\.handler\.codec\.http\.HttpObjectDecoder\.decode|io\.vertx\.core\.net\.impl\.ConnectionBase\.write|io\.vertx\.core\.file)/)
      printf "%7d %5.1f%%  %s\n", incl[f], 100 * incl[f] / n, f | "sort -rn | head -" top
    close("sort -rn | head -" top)
  }'
