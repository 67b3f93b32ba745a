#!/usr/bin/env bash
# Issue 13's targets, the second half of `make bench`: the revenue desk at
# 1,000,000 funnel events and 50,000 subscribers (bench/revenue_desk.py, in its
# own database, filled once and reused), and the CPU a funnel event adds to a
# cached page hit (bench/funnel_record.py). Each prints PASS or FAIL.
set -euo pipefail
cd "$(dirname "$0")/.."
server="postgres://postgres@127.0.0.1:5432"
db="${BENCH_DB_PREFIX:-nr_bench}_desk"
if ! psql "$server/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
  psql "$server/postgres" -qc "CREATE DATABASE \"$db\""
fi
export DATABASE_URL="$server/$db"
export REDIS_URL="redis://127.0.0.1:6379/14"
export CELERY_BROKER_URL="redis://127.0.0.1:6379/15"
.venv/bin/python bench/revenue_desk.py
out="bench/results/funnel-record-$(date +%Y%m%d-%H%M%S).txt"
.venv/bin/python bench/funnel_record.py | tee "$out"
