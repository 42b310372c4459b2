#!/usr/bin/env bash
# Three Gatehouse nodes behind nginx on one PostgreSQL, all on loopback (docs/scaling.md, docs/deploy.md):
# the packaged jar started as docs/deploy.md starts it (-XX:SharedArchiveFile=gatehouse.jsa -jar gatehouse.jar,
# in target/), one key for all, an embedded scratch PostgreSQL under target/cluster/pg (pg_stat_statements loaded),
# and a private nginx master (Debian's package: its own config, pid, logs and a free port under target/cluster/nginx,
# never the system service) doing round robin, trusted by the nodes (GATEHOUSE_TRUSTED_PROXIES=127.0.0.1). A
# readiness follower polls each node's /health/ready on its management port and marks it down or up in nginx (with
# a reload), which is how a node sent SIGTERM drains without a failed request (docs/deploy.md, "Draining").
#
#   bench/cluster.sh              start it, seed 2,000 TOTP users for Gatling, print the addresses; then commands on
#                                 standard input: kill N (SIGKILL), term N (SIGTERM), start N, status, quit
#   bench/cluster.sh --measure    the figures of docs/scaling.md: one node against three behind nginx, turn about,
#                                 sign-ins per server CPU-second; statements and CPU per step (about 6 minutes)
#
# CLUSTER_PROPS: -Dcluster.rate=4 -Dcluster.window=30 -Dcluster.warmup=45 -Dcluster.rounds=2 -Dcluster.nodes=3
# GATEHOUSE_*: passed to every node (e.g. GATEHOUSE_HASH_THREADS). Sends traffic to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nginx >/dev/null 2>&1 && [[ ! -x /usr/sbin/nginx ]]; then
  echo "bench/cluster.sh needs nginx: apt-get install -y nginx (its service need not run)" >&2
  exit 1
fi
source bench/classpath.sh
# shellcheck disable=SC2086
exec java -Xmx1g -cp "$CP" ${CLUSTER_PROPS:-} dev.gatehouse.load.ClusterMain "$@"
