#!/usr/bin/env bash
# What TLS and auth cost: the same put and linearizable-get workloads against a fresh local three-node
# cluster in four modes, alternated ROUNDS times so that a neighbour's load falls on every mode:
#
#   plain     the cluster secret only (run-cluster.sh's default)
#   tls       + client TLS with required client certificates, peer mutual TLS, https:// peers
#   auth      + auth (KVSTORE_AUTH=true); the bench runs as a user whose role has readwrite on bench/
#             (not root, so every request goes through the permission check)
#   tls-auth  both
#
# Each run: a fresh cluster, JIT_WARMUP seconds of writes to warm its JIT, then SECONDS_PER_RUN seconds of
# puts and of linearizable gets, each measured after a 5 s generator warm-up. The cluster is this script's
# own (ports BASE_PORT..BASE_PORT+2, storage, certificates and passwords in a temporary directory), not
# run-cluster.sh's. Only the processes it started are stopped, by their pids.
#
#   scripts/bench-security.sh                                        # 2 rounds, 30 s warm-up, 10 s runs
#   ROUNDS=1 JIT_WARMUP=2 SECONDS_PER_RUN=2 scripts/bench-security.sh  # a smoke test of the script
#   MODES="plain tls" scripts/bench-security.sh                       # some modes only
#
# Prints one line per run (RESULT is the bench tool's own line) and a summary per mode and workload.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JIT_WARMUP=${JIT_WARMUP:-30}
ROUNDS=${ROUNDS:-2}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
CLIENTS=${CLIENTS:-64}
BASE_PORT=${BASE_PORT:-3201}
START_TIMEOUT_S=${START_TIMEOUT_S:-30}
MODES=${MODES:-plain tls auth tls-auth}
JAVA=${JAVA:-java}
[[ -f target/rafty.jar ]] || ./mvnw -B -q -DskipTests package

work=$(mktemp -d "${TMPDIR:-/tmp}/rafty-bench-security.XXXXXX")
node_pids=()

stop_cluster() {
    local pid
    for pid in ${node_pids[@]+"${node_pids[@]}"}; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in ${node_pids[@]+"${node_pids[@]}"}; do
        wait "$pid" 2>/dev/null || true
    done
    node_pids=()
}

cleanup() {
    stop_cluster
    rm -rf "$work"
}
trap cleanup EXIT

die() {
    echo "bench-security: $*; node logs in $work" >&2
    trap - EXIT
    stop_cluster
    exit 1
}

# One CA signs the nodes' certificates (which serve clients and peers) and the bench's client certificate.
make_pki() {
    (
        umask 077
        cd "$work"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=bench CA" \
            -keyout ca-key.pem -out ca.pem 2>/dev/null
        local name ext
        for name in node1 node2 node3 client; do
            ext='extendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature\n'
            [[ $name == client ]] || ext="subjectAltName=IP:127.0.0.1,DNS:localhost\n$ext"
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
                -keyout "$name-key.pem" -out "$name.csr" 2>/dev/null
            openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
                -out "$name.pem" -extfile <(printf "$ext") 2>/dev/null
        done
        rm -f ./*.csr ./*.srl
        od -An -tx1 -N32 /dev/urandom | tr -d ' \n' >cluster-secret
        od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >root-password
        od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >bench-password
    ) || die "openssl could not make the certificates"
}

scheme=http
url() {
    echo "$scheme://127.0.0.1:$((BASE_PORT + $1 - 1))"
}

curl_tls=()
api() {
    curl -sS "${curl_tls[@]}" "$@"
}

# start_cluster MODE: three nodes on fresh storage, back once one of them names a leader (and, with auth,
# once the bench user's token works on every node).
start_cluster() {
    local mode=$1 id other peers tls_env=() auth_env=()
    rm -rf "$work/data"
    case $mode in
        tls | tls-auth) scheme=https; curl_tls=(--cacert "$work/ca.pem" --cert "$work/client.pem" --key "$work/client-key.pem") ;;
        *) scheme=http; curl_tls=() ;;
    esac
    for id in 1 2 3; do
        peers=
        for other in 1 2 3; do
            if [[ $other != "$id" ]]; then
                peers+="${peers:+;}$other@$(url "$other")"
            fi
        done
        tls_env=()
        if [[ $scheme == https ]]; then
            tls_env=(KVSTORE_TLS_CERT="$work/node$id.pem" KVSTORE_TLS_KEY="$work/node$id-key.pem"
                KVSTORE_TLS_CA="$work/ca.pem" KVSTORE_TLS_CLIENT_AUTH=true
                KVSTORE_PEER_TLS_CERT="$work/node$id.pem" KVSTORE_PEER_TLS_KEY="$work/node$id-key.pem"
                KVSTORE_PEER_TLS_CA="$work/ca.pem")
        fi
        auth_env=()
        if [[ $mode == *auth ]]; then
            auth_env=(KVSTORE_AUTH=true KVSTORE_AUTH_ROOT_PASSWORD_FILE="$work/root-password"
                KVSTORE_AUTH_TOKEN_TTL_S=3600)
        fi
        env KVSTORE_ID="$id" KVSTORE_PORT="$((BASE_PORT + id - 1))" KVSTORE_STORAGE_DIR="$work/data/node$id" \
            KVSTORE_PEERS="$peers" KVSTORE_CLUSTER_SECRET_FILE="$work/cluster-secret" \
            ${tls_env[@]+"${tls_env[@]}"} ${auth_env[@]+"${auth_env[@]}"} \
            "$JAVA" -jar target/rafty.jar >"$work/node$id-$mode.log" 2>&1 &
        node_pids+=($!)
    done
    local deadline=$((SECONDS + START_TIMEOUT_S))
    for id in 1 2 3; do
        until api "$(url "$id")/readyz" -o /dev/null -w '%{http_code}' 2>/dev/null | grep -q 200; do
            ((SECONDS < deadline)) || die "node $id not ready within ${START_TIMEOUT_S}s ($mode)"
            sleep 0.2
        done
    done
    unset RAFTY_TOKEN
    if [[ $mode == *auth ]]; then
        local root_token="" token=""
        until root_token=$(api -f -X POST "$(url 1)/v1/auth/token" \
            -d "{\"user\":\"root\",\"password\":\"$(cat "$work/root-password")\"}" 2>/dev/null |
            sed -n 's/.*"token":"\([^"]*\)".*/\1/p') && [[ -n $root_token ]]; do
            ((SECONDS < deadline)) || die "no root token within ${START_TIMEOUT_S}s ($mode)"
            sleep 0.2
        done
        api -f -X PUT "$(url 1)/v1/auth/roles/bench-rw" -H "Authorization: Bearer $root_token" \
            -d '{"permissions":[{"prefix":"bench/","access":"readwrite"}]}' -o /dev/null || die "PUT role failed"
        api -f -X PUT "$(url 1)/v1/auth/users/bench" -H "Authorization: Bearer $root_token" \
            -d "{\"password\":\"$(cat "$work/bench-password")\",\"roles\":[\"bench-rw\"]}" -o /dev/null ||
            die "PUT user failed"
        token=$(api -f -X POST "$(url 1)/v1/auth/token" \
            -d "{\"user\":\"bench\",\"password\":\"$(cat "$work/bench-password")\"}" |
            sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
        [[ -n $token ]] || die "no token for the bench user"
        # Every node has applied the user and its role: a linearizable read of a bench key answers 404 (not
        # 401/403) on all three.
        for id in 1 2 3; do
            until [[ $(api -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
                "$(url "$id")/v1/kv/bench/probe") == 404 ]]; do
                ((SECONDS < deadline)) || die "node $id does not take the bench user's token ($mode)"
                sleep 0.2
            done
        done
        export RAFTY_TOKEN=$token
    fi
}

bench() {
    local tls_args=()
    if [[ $scheme == https ]]; then
        tls_args=(--cacert "$work/ca.pem" --cert "$work/client.pem" --key "$work/client-key.pem")
    fi
    "$JAVA" -jar target/rafty.jar bench --endpoints "$(url 1),$(url 2),$(url 3)" ${tls_args[@]+"${tls_args[@]}"} \
        --keys 1000 --value-size 256 --clients "$CLIENTS" "$@"
}

command -v openssl >/dev/null || { echo "bench-security: openssl is needed" >&2; exit 1; }
make_pki
read -r -a modes <<<"$MODES"
declare -A figures=()
for ((round = 1; round <= ROUNDS; round++)); do
    # Rotate the order, so that no mode always runs first on a cold machine.
    order=("${modes[@]:$(((round - 1) % ${#modes[@]}))}" "${modes[@]:0:$(((round - 1) % ${#modes[@]}))}")
    for mode in "${order[@]}"; do
        start_cluster "$mode"
        # A warm-up's errors (an election while the JIT is cold) do not matter; its figures are not kept.
        bench --workload put --duration "${JIT_WARMUP}s" >/dev/null 2>&1 || true
        for workload in put get; do
            # The bench exits 1 when a request failed; its RESULT line counts them (errors=N).
            line=$({ bench --workload "$workload" --duration "${SECONDS_PER_RUN}s" --warmup 5s \
                $([[ $workload == put ]] && echo --no-preload) 2>&1 || true; } | grep '^RESULT' || echo "RESULT (no result)")
            echo "round=$round mode=$mode workload=$workload load=$(cut -d' ' -f1 /proc/loadavg) $line"
            ops=$(sed -n 's/.*ops_per_s=\([0-9.]*\).*/\1/p' <<<"$line")
            figures[$mode.$workload]="${figures[$mode.$workload]:-}${ops:-?} "
        done
        stop_cluster
    done
done
for workload in put get; do
    for mode in "${modes[@]}"; do
        echo "SUMMARY mode=$mode workload=$workload ops/s per round: ${figures[$mode.$workload]}"
    done
done
