#!/usr/bin/env bash
# Runs a local three-node Rafty cluster from conf/node{1,2,3}.json.
#
# Each node is `java -jar target/rafty.jar conf/nodeN.json`, started in the background with its output in
# logs/nodeN.log and its pid in data/nodeN.pid. Only processes named in those pid files, and whose command
# line still contains rafty.jar, are ever signalled. Run `./run-cluster.sh help` for the commands.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"

readonly JAR=target/rafty.jar
readonly NODES=(1 2 3)
# Nodes 4 and 5 join and leave at runtime (`add` / `remove`); stop, status and clean include them.
readonly EXTRA_NODES=(4 5)
readonly HOST=127.0.0.1
readonly PID_DIR=data
readonly LOG_DIR=logs
# Bounded waits, in seconds; override from the environment when a machine is slow.
readonly START_TIMEOUT_S=${RAFTY_START_TIMEOUT_S:-30}
readonly STOP_TIMEOUT_S=${RAFTY_STOP_TIMEOUT_S:-15}
readonly JAVA=${JAVA:-java}
# Extra JVM options for every node, split on spaces, e.g. RAFTY_JAVA_OPTS="-Xmx512m".
read -r -a JAVA_OPTS <<<"${RAFTY_JAVA_OPTS:-}"
# A node's identity comes from its conf file; these variables would override it for all three nodes at once.
readonly IDENTITY_ENV=(KVSTORE_CONFIG KVSTORE_ID KVSTORE_HOST KVSTORE_PORT KVSTORE_STORAGE_DIR KVSTORE_PEERS KVSTORE_JOIN KVSTORE_ETCD_PORT
    KVSTORE_CLUSTER_SECRET KVSTORE_CLUSTER_SECRET_FILE
    KVSTORE_TLS_CERT KVSTORE_TLS_KEY KVSTORE_TLS_CA KVSTORE_TLS_CLIENT_AUTH KVSTORE_PEER_TLS_CERT KVSTORE_PEER_TLS_KEY
    KVSTORE_PEER_TLS_CA)
# The cluster secret every node proves on its peer requests (docs/SECURITY.md): made on the first start,
# readable only by this user, handed to every node as KVSTORE_CLUSTER_SECRET_FILE; clean deletes it.
readonly SECRET_FILE=data/cluster-secret
# `start --secure` (docs/SECURITY.md, "TLS"): a local peer CA and client CA with node and client certificates in
# $TLS_DIR (keys readable only by this user), every node on TLS with required client certificates and peer mutual
# TLS. The mode sticks: while $TLS_DIR/secure exists every command speaks https with the client certificate;
# clean removes it. Auth is on too: root's password is made once in $ROOT_PASSWORD_FILE (readable only by this
# user), printed once, and the script logs in as root for add, remove, bench and the examples it prints.
readonly TLS_DIR=data/tls
readonly ROOT_PASSWORD_FILE=data/tls/root-password
SECURE=0
if [[ -f $TLS_DIR/secure ]]; then
    SECURE=1
fi

usage() {
    cat <<EOF
usage: ./run-cluster.sh [command]

  start          build $JAR if missing, start nodes 1-3 (skipping any already running),
                 wait up to ${START_TIMEOUT_S}s for a leader (the default command)
  start --secure the same with TLS: makes a local CA and node/client certificates in $TLS_DIR (openssl),
                 client TLS with required client certificates on the HTTP and etcd ports, and mutual
                 TLS between the nodes; and auth, with root's password made once in $ROOT_PASSWORD_FILE
                 (printed once); later commands keep using it until clean
  stop           stop the nodes this script started (SIGTERM, SIGKILL after ${STOP_TIMEOUT_S}s)
  status         show each node: up/down, role, term, commitIndex; exit 1 unless all are up
  restart        stop, then start
  clean          stop, then delete data/node1..5, data/cluster-secret, $TLS_DIR and logs/
  add [N]        add node N (4 or 5; default the first not running) to the running cluster:
                 POST /v1/cluster/members, then start it with KVSTORE_JOIN; it joins as a learner
                 and is promoted to voter once it has caught up
  remove [N]     DELETE /v1/cluster/members/N (default the highest added node), then stop it
  bench [args]   java -jar $JAR bench --endpoints <the three nodes> [args]
  chaos [args]   java -jar $JAR chaos [args]: a separate three-node cluster of its own (own ports,
                 data/chaos-SEED), broken on a seeded schedule while clients work, then checked for
                 linearizability and durability; one verdict line, exit 1 on a violation.
                 Args: --duration 60s --faults kill,pause,partition,slow --seed N (docs/CHAOS.md)
  help           this text

Environment: RAFTY_JAVA_OPTS (JVM options), RAFTY_START_TIMEOUT_S, RAFTY_STOP_TIMEOUT_S, JAVA.
Tunables such as KVSTORE_TICK_INTERVAL_MS pass through to every node.

The nodes share a random cluster secret, $SECRET_FILE (mode 0600, made on the first start), so their
peer routes refuse anyone without it; see docs/SECURITY.md.
EOF
}

die() {
    echo "run-cluster: $*" >&2
    exit 1
}

have() {
    command -v "$1" >/dev/null 2>&1
}

conf_file() {
    echo "conf/node$1.json"
}

pid_file() {
    echo "$PID_DIR/node$1.pid"
}

log_file() {
    echo "$LOG_DIR/node$1.log"
}

# The node's HTTP port, read from its conf file so the two cannot disagree.
node_port() {
    local port
    port=$(sed -n -E 's/.*"port"[[:space:]]*:[[:space:]]*([0-9]+).*/\1/p' "$(conf_file "$1")" | sed -n 1p)
    [[ -n $port ]] || die "no \"port\" in $(conf_file "$1")"
    echo "$port"
}

node_url() {
    if ((SECURE)); then
        echo "https://$HOST:$(node_port "$1")"
    else
        echo "http://$HOST:$(node_port "$1")"
    fi
}

# curl's options for the secure cluster: trust the local peer CA, present the local client certificate.
curl_tls() {
    if ((SECURE)); then
        printf '%s\n' --cacert "$TLS_DIR/peer-ca.pem" --cert "$TLS_DIR/client.pem" --key "$TLS_DIR/client-key.pem"
    fi
}

endpoints() {
    local n list=""
    for n in "${NODES[@]}"; do
        list="${list:+$list,}$(node_url "$n")"
    done
    echo "$list"
}

# The command line of a live process, or nothing. A zombie has an empty command line.
process_args() {
    local pid=$1
    if [[ -r /proc/$pid/cmdline ]]; then
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true
    else
        ps -p "$pid" -o args= 2>/dev/null || true
    fi
}

# Succeeds when pid is a live process of ours running rafty.jar, so a recycled pid is never signalled.
is_rafty() {
    local pid=$1
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    [[ $(process_args "$pid") == *rafty.jar* ]]
}

# Prints the pid of node N if its pid file names a live rafty process.
live_pid() {
    local file pid
    file=$(pid_file "$1")
    [[ -f $file ]] || return 1
    pid=$(tr -dc '0-9' <"$file")
    is_rafty "$pid" || return 1
    echo "$pid"
}

# GET a URL and print the body; fails on no connection, a timeout or a non-2xx answer.
http_get() {
    local url=$1 tls=()
    if have curl; then
        mapfile -t tls < <(curl_tls)
        curl -fsS --connect-timeout 1 --max-time 2 ${tls[@]+"${tls[@]}"} "$url" 2>/dev/null
        return
    fi
    ((SECURE == 0)) || die "curl is needed to talk to the secure cluster"
    # Without curl: HTTP/1.0 over bash's /dev/tcp, in a subshell so the descriptor closes with it.
    local rest=${url#http://}
    (http_get_devtcp "${rest%%/*}" "/${rest#*/}")
}

# A loopback connect succeeds or is refused at once; every read is bounded by read -t.
http_get_devtcp() {
    local hostport=$1 path=$2 status line body=""
    exec 2>/dev/null 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}" || return 1
    printf 'GET %s HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n' "$path" "$hostport" >&3
    IFS= read -r -t 2 status <&3 || return 1
    [[ $status =~ ^HTTP/1\.[01]\ 2[0-9][0-9] ]] || return 1
    while IFS= read -r -t 2 line <&3; do
        if [[ $line == $'\r' || -z $line ]]; then
            break
        fi
    done
    while IFS= read -r -t 2 line <&3 || [[ -n $line ]]; do
        body+=$line$'\n'
    done
    printf '%s' "$body"
}

# Succeeds when something accepts TCP connections on the port.
port_in_use() {
    (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null
}

# The first (top-level) value of a JSON field: a string without its quotes, a number, true, false or null.
json_field() {
    local field=$1 json=$2
    if have python3; then
        python3 -c '
import json, sys
try:
    value = json.loads(sys.argv[2]).get(sys.argv[1])
except Exception:
    sys.exit(0)
if value is not None:
    print(str(value).lower() if isinstance(value, bool) else value)
' "$field" "$json"
        return
    fi
    printf '%s' "$json" | tr -d '\n' \
        | grep -o -E "\"$field\"[[:space:]]*:[[:space:]]*(\"[^\"]*\"|-?[0-9]+|true|false)" \
        | sed -n -E '1s/^[^:]*:[[:space:]]*"?([^"]*)"?$/\1/p' || true
}

# Makes the cluster secret on first use: 32 random bytes as 64 hex digits, in a file only this user can read.
# Written to a temporary file and renamed, so a node never reads half a secret.
ensure_secret() {
    if [[ -s $SECRET_FILE ]]; then
        return 0
    fi
    [[ -r /dev/urandom ]] || die "/dev/urandom is not readable; cannot make a cluster secret"
    mkdir -p "$(dirname "$SECRET_FILE")"
    local tmp="$SECRET_FILE.tmp.$$" secret
    secret=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    [[ ${#secret} -eq 64 ]] || die "could not read 32 random bytes from /dev/urandom"
    (umask 077 && printf '%s\n' "$secret" >"$tmp")
    chmod 600 "$tmp"
    mv -f "$tmp" "$SECRET_FILE"
    echo "made a cluster secret in $SECRET_FILE (readable only by $(id -un))"
}

# Makes the local PKI of --secure once: a peer CA (node certificates, which serve clients and peers alike) and a
# client CA (the client certificate curl, rafty and etcdctl present), EC P-256, each node's certificate naming
# 127.0.0.1 and localhost. The CA keys stay in $TLS_DIR too: this is a laptop cluster, not a deployment.
ensure_tls() {
    if [[ -f $TLS_DIR/secure ]]; then
        return 0
    fi
    have openssl || die "openssl is needed for --secure (Debian: apt-get install openssl)"
    if [[ -d data/node1 ]]; then
        die "data/node1 holds a plaintext cluster; run ./run-cluster.sh clean before start --secure"
    fi
    mkdir -p "$TLS_DIR"
    (
        umask 077
        cd "$TLS_DIR"
        local ca n
        for ca in peer client; do
            openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 825 \
                -subj "/CN=rafty local $ca CA" -keyout "$ca-ca-key.pem" -out "$ca-ca.pem" 2>/dev/null
        done
        for n in "${NODES[@]}" "${EXTRA_NODES[@]}"; do
            openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=node$n" \
                -keyout "node$n-key.pem" -out "node$n.csr" 2>/dev/null
            openssl x509 -req -in "node$n.csr" -CA peer-ca.pem -CAkey peer-ca-key.pem -CAcreateserial -days 825 \
                -out "node$n.pem" -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\nkeyUsage=digitalSignature\n') 2>/dev/null
        done
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=rafty local client" \
            -keyout client-key.pem -out client.csr 2>/dev/null
        openssl x509 -req -in client.csr -CA client-ca.pem -CAkey client-ca-key.pem -CAcreateserial -days 825 \
            -out client.pem -extfile <(printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n') 2>/dev/null
        rm -f ./*.csr ./*.srl
        chmod 600 ./*-key.pem
    ) || die "openssl could not make the certificates in $TLS_DIR"
    touch "$TLS_DIR/secure"
    SECURE=1
    echo "made a local CA and node and client certificates in $TLS_DIR (keys readable only by $(id -un))"
    ensure_root_password
}

# Root's password for the secure cluster's auth: made once (32 hex digits from /dev/urandom, mode 0600) and
# printed once; every node gets it as KVSTORE_AUTH_ROOT_PASSWORD_FILE (it seeds the user root through the log).
ensure_root_password() {
    if [[ -f $ROOT_PASSWORD_FILE ]]; then
        return 0
    fi
    (umask 077 && od -An -tx1 -N16 /dev/urandom | tr -d ' \n' >"$ROOT_PASSWORD_FILE") \
        || die "cannot write $ROOT_PASSWORD_FILE"
    echo "auth is on: the user root's password is $(cat "$ROOT_PASSWORD_FILE")"
    echo "  (shown once; it stays in $ROOT_PASSWORD_FILE, readable only by $(id -un))"
}

# A root token of the secure cluster (POST /v1/auth/token), from the first node that answers; empty when the
# cluster is not secure or none answers.
root_token() {
    ((SECURE)) && [[ -f $ROOT_PASSWORD_FILE ]] || return 0
    local n out tls=()
    mapfile -t tls < <(curl_tls)
    for n in "${NODES[@]}" "${EXTRA_NODES[@]}"; do
        out=$(curl -s -m 10 ${tls[@]+"${tls[@]}"} -X POST -H 'content-type: application/json' \
            --data "{\"user\":\"root\",\"password\":\"$(cat "$ROOT_PASSWORD_FILE")\"}" \
            "$(node_url "$n")/v1/auth/token" 2>/dev/null) || continue
        out=$(sed -n -E 's/.*"token":"([^"]*)".*/\1/p' <<<"$out")
        if [[ -n $out ]]; then
            echo "$out"
            return 0
        fi
    done
}

# The TLS settings of node N in secure mode, one VAR=value a line; nothing otherwise. Peers from the conf file,
# turned into https://. Hook for the auth half of --secure (users, roles, a root password; another branch): its
# KVSTORE_AUTH* variables belong here too, so that every start, restart and add passes them.
secure_env() {
    local n=$1 peers
    ((SECURE)) || return 0
    local dir=$PWD/$TLS_DIR
    echo "KVSTORE_TLS_CERT=$dir/node$n.pem"
    echo "KVSTORE_TLS_KEY=$dir/node$n-key.pem"
    echo "KVSTORE_TLS_CA=$dir/client-ca.pem"
    echo "KVSTORE_TLS_CLIENT_AUTH=true"
    echo "KVSTORE_PEER_TLS_CERT=$dir/node$n.pem"
    echo "KVSTORE_PEER_TLS_KEY=$dir/node$n-key.pem"
    echo "KVSTORE_PEER_TLS_CA=$dir/peer-ca.pem"
    if [[ -f $ROOT_PASSWORD_FILE ]]; then
        echo "KVSTORE_AUTH=true"
        echo "KVSTORE_AUTH_ROOT_PASSWORD_FILE=$PWD/$ROOT_PASSWORD_FILE"
    fi
    peers=$(sed -n -E 's/.*"peers"[[:space:]]*:[[:space:]]*"([^"]*)".*/\1/p' "$(conf_file "$n")" | sed -n 1p)
    if [[ -n $peers ]]; then
        echo "KVSTORE_PEERS=${peers//http:\/\//https://}"
    fi
}

build_jar_if_missing() {
    if [[ ! -f $JAR ]]; then
        echo "building $JAR ..."
        ./mvnw -B -q -DskipTests package
        [[ -f $JAR ]] || die "the build finished but $JAR is missing"
    elif [[ -n $(find src pom.xml -newer "$JAR" -print -quit 2>/dev/null) ]]; then
        echo "note: $JAR is older than the sources; rebuild with ./mvnw -B -q -DskipTests package"
    fi
}

show_log_tails() {
    local n
    for n in "${NODES[@]}"; do
        echo "--- $(log_file "$n") (last 20 lines) ---" >&2
        tail -n 20 "$(log_file "$n")" >&2 2>/dev/null || echo "(no log)" >&2
    done
}

# Checks, before anything starts, that every node not already running has its conf file and a free port,
# so that a conflict does not leave half a cluster behind.
preflight() {
    local n port
    for n in "${NODES[@]}"; do
        if live_pid "$n" >/dev/null; then
            continue
        fi
        [[ -f $(conf_file "$n") ]] || die "$(conf_file "$n") is missing"
        port=$(node_port "$n")
        if port_in_use "$port"; then
            die "node$n: port $port on $HOST is in use by a process this script did not start"
        fi
    done
}

# Starts node N unless it is already running.
start_node() {
    local n=$1 pid port file log
    file=$(pid_file "$n")
    log=$(log_file "$n")
    if pid=$(live_pid "$n"); then
        echo "node$n: already running (pid $pid), not starting it again"
        return 0
    fi
    port=$(node_port "$n")
    rm -f "$file"
    {
        echo "=== $(date '+%Y-%m-%d %H:%M:%S') run-cluster.sh: starting node$n ==="
    } >>"$log"
    local unset_identity=() variable
    for variable in "${IDENTITY_ENV[@]}"; do
        unset_identity+=(-u "$variable")
    done
    # nohup and env both exec, so $! is the JVM's own pid.
    local join_env=()
    if [[ -n ${RAFTY_JOIN_URL:-} ]]; then
        join_env=("KVSTORE_JOIN=$RAFTY_JOIN_URL")
    fi
    ensure_secret
    if ((SECURE)); then
        ensure_root_password
    fi
    local tls_env=()
    mapfile -t tls_env < <(secure_env "$n")
    nohup env "${unset_identity[@]}" ${join_env[@]+"${join_env[@]}"} ${tls_env[@]+"${tls_env[@]}"} \
        "KVSTORE_CLUSTER_SECRET_FILE=$PWD/$SECRET_FILE" \
        "$JAVA" ${JAVA_OPTS[@]+"${JAVA_OPTS[@]}"} \
        -jar "$JAR" "$(conf_file "$n")" >>"$log" 2>&1 </dev/null &
    echo "$!" >"$file"
    echo "node$n: started (pid $!), port $port, log $log"
}

# Prints the id of a node that reports itself leader; fails when none does.
find_leader() {
    local n body
    for n in "${NODES[@]}"; do
        body=$(http_get "$(node_url "$n")/v1/status") || continue
        if [[ $(json_field role "$body") == leader ]]; then
            echo "$n"
            return 0
        fi
    done
    return 1
}

cmd_start() {
    have "$JAVA" || die "$JAVA not found; install a Java 17+ runtime or set JAVA"
    build_jar_if_missing
    mkdir -p "$PID_DIR" "$LOG_DIR"
    preflight
    local n
    for n in "${NODES[@]}"; do
        start_node "$n"
    done

    echo "waiting up to ${START_TIMEOUT_S}s for a leader ..."
    local deadline=$((SECONDS + START_TIMEOUT_S)) leader
    while ((SECONDS < deadline)); do
        if leader=$(find_leader); then
            echo "node$leader is the leader."
            echo
            for n in "${NODES[@]}"; do
                echo "  node$n  $(node_url "$n")"
            done
            echo
            echo "try:"
            if ((SECURE)); then
                local tls="--cacert $TLS_DIR/peer-ca.pem --cert $TLS_DIR/client.pem --key $TLS_DIR/client-key.pem"
                echo "  TOKEN=\$(curl -s $tls -d \"{\\\"user\\\":\\\"root\\\",\\\"password\\\":\\\"\$(cat $ROOT_PASSWORD_FILE)\\\"}\" $(node_url 1)/v1/auth/token | sed -E 's/.*\"token\":\"([^\"]*)\".*/\\1/')"
                echo "  curl $tls -H \"Authorization: Bearer \$TOKEN\" -X PUT --data-binary 'world' $(node_url 1)/v1/kv/hello"
                echo "  curl $tls -H \"Authorization: Bearer \$TOKEN\" $(node_url 2)/v1/kv/hello"
                echo "  RAFTY_TOKEN=\$TOKEN ./rafty get hello --endpoints $(endpoints) $tls"
                echo "  ETCDCTL_API=3 etcdctl --endpoints=https://$HOST:2379 $tls --user root:\$(cat $ROOT_PASSWORD_FILE) get hello"
            else
                echo "  curl -X PUT --data-binary 'world' $(node_url 1)/v1/kv/hello"
                echo "  curl $(node_url 2)/v1/kv/hello"
            fi
            echo "  ./run-cluster.sh status"
            return 0
        fi
        for n in "${NODES[@]}"; do
            if ! live_pid "$n" >/dev/null; then
                echo "run-cluster: node$n exited during startup (any others are still running;" \
                    "see ./run-cluster.sh status / stop)" >&2
                show_log_tails
                exit 1
            fi
        done
        sleep 0.5
    done
    echo "run-cluster: no leader after ${START_TIMEOUT_S}s (the nodes are still running; see ./run-cluster.sh stop)" >&2
    show_log_tails
    exit 1
}

cmd_stop() {
    local n pid file pids=() names=()
    for n in "${NODES[@]}" "${EXTRA_NODES[@]}"; do
        if [[ " ${EXTRA_NODES[*]} " == *" $n "* && ! -f $(pid_file "$n") ]]; then
            continue
        fi
        file=$(pid_file "$n")
        if [[ ! -f $file ]]; then
            echo "node$n: not running (no pid file)"
            continue
        fi
        if pid=$(live_pid "$n"); then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
            names+=("node$n")
            echo "node$n: stopping (pid $pid)"
        else
            echo "node$n: not running (stale pid file removed)"
            rm -f "$file"
        fi
    done

    local deadline=$((SECONDS + STOP_TIMEOUT_S)) i alive
    while ((${#pids[@]} > 0)); do
        alive=0
        for i in "${!pids[@]}"; do
            if is_rafty "${pids[$i]}"; then
                alive=1
            fi
        done
        if ((alive == 0 || SECONDS >= deadline)); then
            break
        fi
        sleep 0.2
    done
    for i in "${!pids[@]}"; do
        if is_rafty "${pids[$i]}"; then
            echo "${names[$i]}: still running after ${STOP_TIMEOUT_S}s, sending SIGKILL"
            kill -KILL "${pids[$i]}" 2>/dev/null || true
        fi
    done
    # SIGKILL is not instant either; give the kernel a moment so a following start finds the port free.
    deadline=$((SECONDS + 3))
    for i in "${!pids[@]}"; do
        while is_rafty "${pids[$i]}" && ((SECONDS < deadline)); do
            sleep 0.1
        done
    done
    for n in "${NODES[@]}" "${EXTRA_NODES[@]}"; do
        if [[ -f $(pid_file "$n") ]] && ! live_pid "$n" >/dev/null; then
            rm -f "$(pid_file "$n")"
        fi
    done
}

cmd_status() {
    local n pid body url all_up=0
    for n in "${NODES[@]}" "${EXTRA_NODES[@]}"; do
        if [[ " ${EXTRA_NODES[*]} " == *" $n "* ]] && ! live_pid "$n" >/dev/null; then
            continue
        fi
        url=$(node_url "$n")
        if body=$(http_get "$url/v1/status"); then
            printf 'node%s  %-22s  up    role=%-9s term=%-5s commitIndex=%s\n' "$n" "$url" \
                "$(json_field role "$body")" "$(json_field term "$body")" "$(json_field commitIndex "$body")"
        elif pid=$(live_pid "$n"); then
            printf 'node%s  %-22s  down  (pid %s is running but %s/v1/status does not answer)\n' \
                "$n" "$url" "$pid" "$url"
            all_up=1
        else
            printf 'node%s  %-22s  down\n' "$n" "$url"
            all_up=1
        fi
    done
    return "$all_up"
}

cmd_clean() {
    cmd_stop
    local n
    for n in "${NODES[@]}" "${EXTRA_NODES[@]}"; do
        rm -rf "data/node$n" "data/node$n.incoming-snapshot"
    done
    rm -f "$SECRET_FILE"
    rm -rf "$TLS_DIR"
    rm -rf "$LOG_DIR"
    echo "removed data/node1..5, $SECRET_FILE, $TLS_DIR and $LOG_DIR/"
}

cmd_bench() {
    have "$JAVA" || die "$JAVA not found; install a Java 17+ runtime or set JAVA"
    build_jar_if_missing
    local tls=() token
    mapfile -t tls < <(curl_tls)
    token=$(root_token)
    if [[ -n $token && -z ${RAFTY_TOKEN:-} ]]; then
        export RAFTY_TOKEN=$token
    fi
    exec "$JAVA" ${JAVA_OPTS[@]+"${JAVA_OPTS[@]}"} -jar "$JAR" bench --endpoints "$(endpoints)" ${tls[@]+"${tls[@]}"} "$@"
}

# The chaos check starts and stops its own cluster; the nodes of this script are neither used nor touched.
cmd_chaos() {
    have "$JAVA" || die "$JAVA not found; install a Java 17+ runtime or set JAVA"
    build_jar_if_missing
    exec "$JAVA" ${JAVA_OPTS[@]+"${JAVA_OPTS[@]}"} -jar "$JAR" chaos "$@"
}

# Sends an admin request to the first member that answers; prints the body, fails on a non-2xx status.
admin_request() {
    local method=$1 path=$2 body=${3:-} n out status tls=() token
    have curl || die "curl is needed for add and remove"
    mapfile -t tls < <(curl_tls)
    token=$(root_token)
    if [[ -n $token ]]; then
        tls+=(-H "Authorization: Bearer $token")
    fi
    for n in "${NODES[@]}" "${EXTRA_NODES[@]}"; do
        out=$(curl -s -m 30 ${tls[@]+"${tls[@]}"} -w '\n%{http_code}' -X "$method" -H 'content-type: application/json' \
            ${body:+--data "$body"} "$(node_url "$n")$path") || continue
        status=${out##*$'\n'}
        [[ $status == 000 ]] && continue
        echo "${out%$'\n'*}"
        [[ $status == 2* ]] && return 0
        return 1
    done
    die "no member answered $method $path"
}

# Prints the URL of a member that answers, for KVSTORE_JOIN.
live_member_url() {
    local n
    for n in "${NODES[@]}" "${EXTRA_NODES[@]}"; do
        if http_get "$(node_url "$n")/health" >/dev/null; then
            node_url "$n"
            return 0
        fi
    done
    return 1
}

cmd_add() {
    local n=${1:-} join
    if [[ -z $n ]]; then
        for n in "${EXTRA_NODES[@]}"; do
            live_pid "$n" >/dev/null || break
        done
    fi
    [[ " ${EXTRA_NODES[*]} " == *" $n "* ]] || die "add takes node 4 or 5, not $n"
    if live_pid "$n" >/dev/null; then
        die "node$n is already running"
    fi
    build_jar_if_missing
    join=$(live_member_url) || die "no running member to join; start the cluster first"
    echo "adding node$n at $(node_url "$n") through $join"
    admin_request POST /v1/cluster/members "{\"id\":$n,\"address\":\"$(node_url "$n")\"}" \
        || die "the cluster refused node$n"
    echo
    RAFTY_JOIN_URL=$join start_node "$n"
    echo "node$n joins as a learner and becomes a voter once caught up; watch ./run-cluster.sh status"
}

cmd_remove() {
    local n=${1:-}
    if [[ -z $n ]]; then
        for n in 5 4; do
            live_pid "$n" >/dev/null && break
        done
    fi
    [[ $n =~ ^[0-9]+$ ]] || die "remove takes a node id"
    echo "removing node$n"
    admin_request DELETE "/v1/cluster/members/$n" || die "the cluster refused to remove node$n"
    echo
    local pid deadline
    if pid=$(live_pid "$n"); then
        kill -TERM "$pid" 2>/dev/null || true
        echo "node$n: stopping (pid $pid)"
        deadline=$((SECONDS + STOP_TIMEOUT_S))
        while is_rafty "$pid" && ((SECONDS < deadline)); do
            sleep 0.2
        done
        if is_rafty "$pid"; then
            kill -KILL "$pid" 2>/dev/null || true
        fi
        rm -f "$(pid_file "$n")"
    fi
}

no_more_args() {
    if (($# > 0)); then
        echo "run-cluster: unexpected argument: $1" >&2
        usage >&2
        exit 2
    fi
}

main() {
    local command=${1:-start}
    if (($# > 0)); then
        shift
    fi
    case $command in
        start)
            if [[ ${1:-} == --secure ]]; then
                shift
                no_more_args "$@"
                ensure_tls
            else
                no_more_args "$@"
            fi
            cmd_start
            ;;
        stop) no_more_args "$@"; cmd_stop ;;
        status) no_more_args "$@"; cmd_status ;;
        restart) no_more_args "$@"; cmd_stop; cmd_start ;;
        clean) no_more_args "$@"; cmd_clean ;;
        bench) cmd_bench "$@" ;;
        chaos) cmd_chaos "$@" ;;
        add) cmd_add "$@" ;;
        remove) cmd_remove "$@" ;;
        help | -h | --help) usage; exit 0 ;;
        *)
            echo "run-cluster: unknown command: $command" >&2
            usage >&2
            exit 2
            ;;
    esac
}

main "$@"
