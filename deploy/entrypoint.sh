#!/bin/sh
# Rafty's container entry point. In a Kubernetes StatefulSet, pod <set>-<ordinal> becomes node
# ordinal+1, and its peers are the other initial members by their stable DNS names under the headless
# Service: <set>-<n>.<service>[.<namespace>.svc.<domain>]. Every KVSTORE_* variable set explicitly wins
# over what is derived here; an explicitly empty KVSTORE_PEERS means a single-node cluster.
#
# Inputs (RAFTY_*, not KVSTORE_*: the node refuses KVSTORE_* names it does not know):
#   RAFTY_HOSTNAME        the pod name to derive from (default: `hostname`)
#   RAFTY_PEER_SERVICE    the headless Service's name (default: rafty-peers)
#   RAFTY_REPLICAS        how many initial members the set was created with (default: 3)
#   RAFTY_NAMESPACE       the pod's namespace; with it peer names are fully qualified (default: none,
#                         relying on the pod's DNS search path)
#   RAFTY_CLUSTER_DOMAIN  the cluster's DNS domain (default: cluster.local)
#   JAVA_OPTS             extra JVM options (default below: heap at 40% of the container's memory)
#
# A pod whose ordinal is at or past RAFTY_REPLICAS is a member being added: it gets no peers and joins
# through ordinal 0 (KVSTORE_JOIN), after an operator has added it with POST /v1/cluster/members.
#
# `entrypoint.sh --print-env` prints the KVSTORE_* settings it would start the node with, one
# NAME=value a line, and exits: what the tests check and what an operator can run to see.
set -eu

fail() {
  echo "rafty-entrypoint: $*" >&2
  exit 2
}

print_only=false
if [ "${1:-}" = "--print-env" ]; then
  print_only=true
  shift
fi

pod="${RAFTY_HOSTNAME:-$(hostname)}"
service="${RAFTY_PEER_SERVICE:-rafty-peers}"
replicas="${RAFTY_REPLICAS:-3}"
domain="${RAFTY_CLUSTER_DOMAIN:-cluster.local}"
port="${KVSTORE_PORT:-3001}"

case "$replicas" in
  '' | *[!0-9]*) fail "RAFTY_REPLICAS must be a positive integer, was \"$replicas\"" ;;
esac
[ "$replicas" -ge 1 ] || fail "RAFTY_REPLICAS must be a positive integer, was \"$replicas\""

# <set>-<ordinal>: the set's name may itself contain dashes; the ordinal is after the last one.
set_name="${pod%-*}"
ordinal="${pod##*-}"
case "$ordinal" in
  '' | *[!0-9]*) ordinal="" ;;
esac
if [ "$set_name" = "$pod" ] || [ -z "$set_name" ]; then
  ordinal=""
fi

# The stable DNS name of member <ordinal>.
peer_host() {
  if [ -n "${RAFTY_NAMESPACE:-}" ]; then
    echo "$set_name-$1.$service.$RAFTY_NAMESPACE.svc.$domain"
  else
    echo "$set_name-$1.$service"
  fi
}

if [ -z "${KVSTORE_ID:-}" ]; then
  [ -n "$ordinal" ] || fail "cannot derive KVSTORE_ID: hostname \"$pod\" is not <statefulset>-<ordinal>; set KVSTORE_ID"
  KVSTORE_ID=$((ordinal + 1))
fi
export KVSTORE_ID
export KVSTORE_PORT="$port"

# With TLS on the shared client/peer port (KVSTORE_TLS_CERT or peer TLS), members are reached as https://
# (docs/SECURITY.md, "TLS"); each pod's certificate must then name its stable DNS name.
scheme=http
if [ -n "${KVSTORE_TLS_CERT:-}${KVSTORE_PEER_TLS_CA:-}" ]; then
  scheme=https
fi

if [ -n "$ordinal" ]; then
  # Bind to the pod's own stable name (kubelet writes it into /etc/hosts), so the address the node
  # reports for itself in /v1/cluster is the one its peers use. KVSTORE_HOST=0.0.0.0 binds every
  # interface instead, at the price of the node reporting itself as http://0.0.0.0:<port>.
  : "${KVSTORE_HOST:=$(peer_host "$ordinal")}"
  if [ "$ordinal" -ge "$replicas" ] && [ -z "${KVSTORE_PEERS+set}" ] && [ -z "${KVSTORE_JOIN:-}" ]; then
    KVSTORE_JOIN="$scheme://$(peer_host 0):$port"
  fi
  if [ -z "${KVSTORE_PEERS+set}" ] && [ -z "${KVSTORE_JOIN:-}" ]; then
    peers=""
    n=0
    while [ "$n" -lt "$replicas" ]; do
      if [ "$n" -ne "$ordinal" ]; then
        peers="$peers${peers:+;}$((n + 1))@$scheme://$(peer_host "$n"):$port"
      fi
      n=$((n + 1))
    done
    KVSTORE_PEERS="$peers"
  fi
fi
: "${KVSTORE_HOST:=0.0.0.0}"
: "${KVSTORE_STORAGE_DIR:=/var/lib/rafty/data}"
export KVSTORE_HOST KVSTORE_STORAGE_DIR
[ -z "${KVSTORE_PEERS+set}" ] || export KVSTORE_PEERS
[ -z "${KVSTORE_JOIN:-}" ] || export KVSTORE_JOIN

if [ "$print_only" = true ]; then
  env | grep '^KVSTORE_' | sort
  exit 0
fi

# RocksDB's memory lives outside the Java heap: leave it most of the container's memory.
# shellcheck disable=SC2086 # JAVA_OPTS is a list of options, split on purpose
exec java ${JAVA_OPTS:--XX:MaxRAMPercentage=40 -XX:+ExitOnOutOfMemoryError} --enable-native-access=ALL-UNNAMED \
  -jar "${RAFTY_JAR:-/opt/rafty/rafty.jar}" "$@"
