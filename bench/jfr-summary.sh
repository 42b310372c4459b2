#!/usr/bin/env bash
# Where a server's time went, from a JFR recording (bench/login-bench.sh with BENCH_PROPS=-Dbench.jfr=true
# writes target/load/bench/server-LABEL.jfr; or `jcmd PID JFR.start duration=30s filename=x.jfr` on any
# running server). Prints the threads sampled and the hottest frames, Java and native.
#
#   bench/jfr-summary.sh target/load/bench/server-configured.jfr [TOP]
set -euo pipefail
FILE=$1
TOP=${2:-25}
summary() { # $1: event name
  jfr print --events "$1" "$FILE" | awk -v top="$TOP" -v ev="$1" '
    /sampledThread = "/ { split($0, a, "\""); thread = a[2]; gsub(/-[0-9]+$/, "-N", thread); threads[thread]++; n++ }
    /stackTrace = \[/ { getline; sub(/^[ \t]+/, ""); sub(/[ \t]+line:.*/, ""); frames[$0]++ }
    END {
      printf "== %s: %d samples\n-- by thread\n", ev, n
      for (t in threads) printf "%7d %5.1f%%  %s\n", threads[t], 100 * threads[t] / n, t | "sort -rn"
      close("sort -rn")
      printf "-- top frames\n"
      for (f in frames) printf "%7d %5.1f%%  %s\n", frames[f], 100 * frames[f] / n, f | "sort -rn | head -" top
      close("sort -rn | head -" top)
    }'
}
jfr summary "$FILE" | sed -n '1,12p'
summary jdk.ExecutionSample
summary jdk.NativeMethodSample
