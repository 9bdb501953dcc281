#!/usr/bin/env bash
# How soon after its TTL a lease that nobody keeps alive is gone. On a fresh local cluster, LEASES
# (default 200) leases of TTL seconds (default 2) are granted one by one, each with one key attached;
# a watch on the keys' prefix, on another node, notes when each key's delete arrives. For each lease:
# lateness = (delete seen) - (grant request sent + TTL): never negative if the promise holds (a key lives
# its TTL from the moment its client asked), and how late expiry is otherwise. Prints p50, p99 and max lateness in ms (the issue's
# target: p99 at most one election timeout, 1 s by default). Needs curl.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
LEASES=${LEASES:-200}
TTL=${TTL:-2}
[[ -f target/rafty.jar ]] || ./mvnw -B -q -DskipTests package
work=$(mktemp -d /tmp/rafty-expiry-XXXX)
trap 'kill "${watcher:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT
./run-cluster.sh clean >/dev/null
./run-cluster.sh >/dev/null
curl -sN 'http://127.0.0.1:3002/v1/watch?prefix=expiry/' | while IFS= read -r line; do
    printf '%s %s\n' "$(date +%s%N)" "$line"
done > "$work/watch" &
watcher=$!
sleep 1
for ((i = 1; i <= LEASES; i++)); do
    sent=$(date +%s%N)
    curl -sf -X POST -d "{\"ttl\":$TTL,\"id\":$((1000000 + i))}" http://127.0.0.1:3001/v1/leases >/dev/null
    printf '%s %s\n' "$i" "$sent" >> "$work/granted"
    curl -sf -X PUT --data-binary x "http://127.0.0.1:3001/v1/kv/expiry/$i?lease=$((1000000 + i))" >/dev/null
done
sleep $((TTL + 5))
kill "$watcher" 2>/dev/null || true
./run-cluster.sh stop >/dev/null
# Lateness per lease (mawk has no sort: the shell sorts).
awk -v ttl_ns=$((TTL * 1000000000)) '
    FNR == NR { granted[$1] = $2; next }
    /^[0-9]+ data: / && /"type":"delete"/ {
        line = $0
        while (match(line, /"key":"expiry\/[0-9]+"/)) {
            key = substr(line, RSTART + 14, RLENGTH - 15)
            if (!(key in seen)) { seen[key] = $1 }
            line = substr(line, RSTART + RLENGTH)
        }
    }
    END {
        for (k in granted) { if (k in seen) { printf "%.1f\n", (seen[k] - granted[k] - ttl_ns) / 1e6 } else { print "missing" } }
    }' "$work/granted" "$work/watch" > "$work/lateness"
missing=$(grep -c missing "$work/lateness" || true)
grep -v missing "$work/lateness" | sort -n > "$work/sorted"
n=$(wc -l < "$work/sorted")
pick() { sed -n "$(( ($1 * n + 99) / 100 ))p" "$work/sorted"; }
echo "RESULT leases=$LEASES ttl=${TTL}s expired_seen=$n missing=$missing lateness_ms" \
    "min=$(head -1 "$work/sorted") p50=$(pick 50) p99=$(pick 99) max=$(tail -1 "$work/sorted")"
