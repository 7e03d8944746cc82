#!/usr/bin/env bash
# The baseline the node is compared with: a conventional PostgreSQL ledger, one SQL
# transaction per transfer, row locks on both accounts (SELECT … FOR UPDATE), the
# balance check in SQL, a transfer row inserted, synchronous_commit on (fsync per
# commit). Runs pgbench with CLIENTS clients for SECONDS seconds against a cluster
# of its own on a non-default port in a temporary folder, and prints its rate.
#
# Usage: scripts/bench-postgres.sh [CLIENTS] [SECONDS] [ACCOUNTS]
set -euo pipefail
clients=${1:-16}
seconds=${2:-10}
accounts=${3:-1000}
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
work=$(mktemp -d /tmp/khata-pg-XXXXXX)
port=$((20000 + RANDOM % 10000))  # below the ephemeral range (32768-60999) clients take
user=postgres
cleanup() { su "$user" -c "$bin/pg_ctl -D $work/data -m fast stop" >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
chown "$user" "$work"
su "$user" -c "$bin/initdb -D $work/data -A trust -U postgres" >/dev/null
su "$user" -c "$bin/pg_ctl -D $work/data -o '-p $port -k $work -c listen_addresses=' -l $work/log start -w" >/dev/null
psql() { "$bin/psql" -h "$work" -p "$port" -U postgres -v ON_ERROR_STOP=1 -q "$@"; }
psql <<SQL
CREATE TABLE accounts (id int PRIMARY KEY, balance bigint NOT NULL CHECK (balance >= 0));
CREATE TABLE transfers (id bigserial PRIMARY KEY, debit int NOT NULL, credit int NOT NULL, amount bigint NOT NULL, at timestamptz NOT NULL DEFAULT now());
INSERT INTO accounts SELECT g, 1000000000 FROM generate_series(1, $accounts) g;
SQL
cat > "$work/transfer.sql" <<SQL
\set debit random(1, $accounts)
\set credit random(1, $accounts)
BEGIN;
SELECT balance FROM accounts WHERE id IN (:debit, :credit) ORDER BY id FOR UPDATE;
UPDATE accounts SET balance = balance - 1 WHERE id = :debit AND balance >= 1;
UPDATE accounts SET balance = balance + 1 WHERE id = :credit;
INSERT INTO transfers (debit, credit, amount) VALUES (:debit, :credit, 1);
COMMIT;
SQL
echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}'), synchronous_commit=on, $clients clients, $seconds s, $accounts accounts, 1 transfer per SQL transaction:"
"$bin/pgbench" -h "$work" -p "$port" -U postgres -n -c "$clients" -j 2 -T "$seconds" -f "$work/transfer.sql" postgres 2>/dev/null | grep -E "tps|latency average|number of transactions actually processed"
