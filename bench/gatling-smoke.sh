#!/usr/bin/env bash
# Smoke run of the Gatling simulation, so that it cannot rot (under 30 s of load, at a low rate):
# starts Gatehouse on a free port with a temporary data directory (embedded PostgreSQL), seeds users
# before it starts, waits for /health/ready, runs Gatling against it, stops the server. Exits non-zero
# when anything fails (Gatling's assertion: no failed request). Sends traffic to 127.0.0.1 only.
#
#   bench/gatling-smoke.sh            (RATE=2 RAMP=3 DURATION=15 by default)
#
# MVN_FLAGS (default: none, so Maven may fetch the Gatling artifacts the first time; -o for offline).
set -euo pipefail
cd "$(dirname "$0")/.."
MVN_FLAGS=${MVN_FLAGS-}
RATE=${RATE:-2}
RAMP=${RAMP:-3}
DURATION=${DURATION:-15}
USERS=$(awk -v r="$RATE" 'BEGIN { n = int(r * 40) + 20; print (n < 100 ? 100 : n) }')
export MVN_FLAGS
source bench/classpath.sh

DATA=$(mktemp -d "${TMPDIR:-/tmp}/gatehouse-smoke.XXXXXX")
LOG=target/load/gatling-smoke-server.log
SERVER_PID=
cleanup() {
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$DATA"
}
trap cleanup EXIT

# Keep GATEHOUSE_* of the caller out: the smoke server is self-contained.
unset $(env | grep -o '^GATEHOUSE_[A-Z_]*' || true)
export GATEHOUSE_DATA_DIR=$DATA GATEHOUSE_HTTP_HOST=127.0.0.1 GATEHOUSE_HTTP_PORT=0 GATEHOUSE_MANAGEMENT_PORT=0
export GATEHOUSE_SHUTDOWN_GRACE_SECONDS=0

TOTP_FLAG=
if java -cp "$CP" dev.gatehouse.load.TotpSeeding --available >/dev/null 2>&1; then TOTP_FLAG=--totp; fi
echo "== seeding $USERS users ${TOTP_FLAG:+with TOTP }into a fresh embedded PostgreSQL in $DATA"
java -cp "$CP" dev.gatehouse.load.SeedUsers --users "$USERS" $TOTP_FLAG --out target/load/smoke-users.csv | grep -v ' INFO '

echo "== starting Gatehouse (log: $LOG)"
java -cp "$SERVER_CP" dev.gatehouse.Main >"$LOG" 2>&1 &
SERVER_PID=$!
PORT=
for _ in $(seq 1 600); do
  PORT=$(sed -n 's/.*Gatehouse ready on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$LOG" | head -1)
  [[ -n $PORT ]] && break
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "== the server died:"; tail -20 "$LOG"; exit 1; }
  sleep 0.2
done
[[ -n $PORT ]] || { echo "== the server did not get ready"; tail -20 "$LOG"; exit 1; }
# /health/ready includes a database round trip (plain bash, so a fresh machine needs no curl).
exec 3<>"/dev/tcp/127.0.0.1/$PORT"
printf 'GET /health/ready HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
read -r -t 10 status_line <&3 || true
[[ $status_line == *" 200 "* ]] || { echo "== /health/ready answered: ${status_line:-nothing}"; exit 1; }
exec 3<&-
echo "== Gatehouse ready on port $PORT; Gatling at $RATE sign-ins/s (ramp $RAMP s, then $DURATION s)"

status=0
./mvnw $MVN_FLAGS -B -q -P load test-compile gatling:test -Dbase="http://127.0.0.1:$PORT" \
  -Dusers=target/load/smoke-users.csv -Drate="$RATE" -Dramp="$RAMP" -Dduration="$DURATION" || status=$?

if grep -q "has been blocked for" "$LOG"; then
  echo "== Vert.x reported a blocked thread:"; grep "has been blocked for" "$LOG" | head -5
  status=1
fi
report=$(ls -td target/gatling/*/ 2>/dev/null | head -1 || true)
echo "== Gatling smoke: $([[ $status == 0 ]] && echo passed || echo FAILED)${report:+; report: ${report}index.html}"
exit $status
