#!/usr/bin/env bash
# A/B of asynchronous storage writes (KVSTORE_ASYNC_STORAGE_WRITES, BENCHMARKS.md "Issue 19"): for each of
# ROUNDS rounds (default 2), each mode on a clean local cluster, 30 s of 64-client mixed load to warm the
# JIT, then 10 s runs of put/64, get/64, mixed/64, put/1 and put/16 (2 000 keys, 256-byte values), through
# scripts/bench-ab.sh. One RESULT line per run on stdout; the cluster is left stopped.
# Usage: ROUNDS=3 scripts/bench-async-writes.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
VARIANT_ENV=KVSTORE_ASYNC_STORAGE_WRITES JIT_WARMUP=30 RUNS="put:64 get:64 mixed:64 put:1 put:16" \
    exec scripts/bench-ab.sh "${ROUNDS:-2}" 10 true false
