#!/usr/bin/env bash
# Seeds load-test users and writes the CSV the Gatling simulation and the benchmark read.
#
#   bench/seed-users.sh --users 5000 --totp --out target/load/users.csv [--password P] [--prefix user] [--force]
#
# Uses the server's configuration: GATEHOUSE_DATABASE_URL when set, otherwise the embedded PostgreSQL
# in GATEHOUSE_DATA_DIR (default ./data; stop a server running on it first, or point
# GATEHOUSE_DATABASE_URL at the port it logged, with the password kept in data/postgres.password:
# postgresql://postgres:$(cat data/postgres.password)@127.0.0.1:PORT/postgres).
# Refuses a database that holds users it did not seed, unless --force.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/classpath.sh
exec java -cp "$CP" dev.gatehouse.load.SeedUsers "$@"
