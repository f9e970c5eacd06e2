#!/usr/bin/env bash
# netns-wordcount.sh: LegoOS/J word count with every component in its own Linux network namespace.
#
# Creates one network namespace per component (manager, processor, two memory, storage) and one for the client,
# each with its own 10.x address on a veth pair joined to a bridge (in a private "hub" namespace, so the host's
# network is never touched; if bridges are unavailable, the veth pairs join the manager's namespace, which routes),
# runs `lego manager|processor|memory|storage` inside them listening on their namespace's address, and from the
# client namespace: creates a vNode, generates a corpus in it, copies it out and back in with `lego cp`, runs word
# count with `lego run`, and checks the summary and the full counts against coreutils (tr | sort | uniq), which
# implement the same tokenisation contract as WordCount. Everything it created is removed on exit (trap EXIT),
# also when it fails or is interrupted.
#
# Prints "OK: ..." as its last line and exits 0 on success. When network namespaces cannot be created here (not
# Linux, not root, no `ip`, `ip netns add` refused, e.g. no CAP_NET_ADMIN/CAP_SYS_ADMIN in a container) it prints
# "SKIPPED: <reason>" and exits 0. Any other failure prints "FAILED: <reason>" with the logs' tails and exits 1;
# a missing JDK or lego.jar exits 2.
#
# Environment (all optional):
#   LEGO_JAR            the shaded lego command (default: legoos-cli/target/lego.jar next to this script's repo)
#   JAVA                a java >= 25 (default: $JAVA_HOME/bin/java, java on PATH, /usr/lib/jvm/*/bin/java)
#   LEGO_NETNS_WORK     directory for logs and the storage root (default: a temporary directory, removed on success)
#   LEGO_NETNS_MODE     auto (default), bridge or routed
#   LEGO_NETNS_SUBNET   first three octets of the /24 used inside the namespaces (default: 10.213.0)
#   CORPUS_BYTES        corpus size (default: 2000000)
#   SEED                corpus seed (default: random, printed)
#   STEP_TIMEOUT        seconds any one step may take (default: 120)
set -uo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
ID=$$
PREFIX="lgwc$ID"
SUBNET=${LEGO_NETNS_SUBNET:-10.213.0}
MODE=${LEGO_NETNS_MODE:-auto}
CORPUS_BYTES=${CORPUS_BYTES:-2000000}
SEED=${SEED:-$((RANDOM * 32768 + RANDOM))}
STEP_TIMEOUT=${STEP_TIMEOUT:-120}
TOP=10
PORT=7700
COMPONENT_JVM=(-Xmx256m -XX:MaxDirectMemorySize=512m -XX:+UseSerialGC --enable-native-access=ALL-UNNAMED)
CLIENT_JVM=(-Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 --enable-native-access=ALL-UNNAMED)

# component name -> last octet of its address (the hub has no address)
NODES=(manager processor memory1 memory2 storage client)
declare -A OCTET=([manager]=1 [processor]=2 [memory1]=3 [memory2]=4 [storage]=5 [client]=100)
NAMESPACES=()   # created, in creation order
PIDS=()         # component processes
WORK=""
OWN_WORK=0
STARTED=$(date +%s)

say() { echo "netns-wordcount: $*"; }
skip() { echo "SKIPPED: $*"; exit 0; }
fatal() { echo "ERROR: $*" >&2; exit 2; }
fail() {
    echo "FAILED: $*"
    show_logs
    exit 1
}
ns() { echo "$PREFIX-$1"; }
addr() { echo "$SUBNET.${OCTET[$1]}"; }

show_logs() {
    [ -n "$WORK" ] && [ -d "$WORK/logs" ] || return 0
    local f
    for f in "$WORK"/logs/*; do
        [ -s "$f" ] || continue
        echo "--- last lines of $f:"
        tail -n 15 "$f"
    done
}

# stop_pids PID...: SIGTERM, then up to 5 s for them to leave cleanly (SIGKILL comes later)
stop_pids() {
    local pid n alive
    for pid in "$@"; do
        [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
    done
    for n in $(seq 50); do
        alive=0
        for pid in "$@"; do
            [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && alive=1
        done
        [ $alive = 0 ] && return 0
        sleep 0.1
    done
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    local pid n
    # stop in the order `lego down` uses: processors, memory (writes file data back), storage, the manager last
    stop_pids "${PID_processor:-}"
    stop_pids "${PID_memory1:-}" "${PID_memory2:-}"
    stop_pids "${PID_storage:-}"
    stop_pids "${PID_manager:-}"
    local nsname
    for nsname in "${NAMESPACES[@]}"; do # whatever still runs in our namespaces (stragglers, interrupted clients)
        for pid in $(ip netns pids "$nsname" 2>/dev/null); do
            kill -KILL "$pid" 2>/dev/null
        done
    done
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    for ((n = ${#NAMESPACES[@]} - 1; n >= 0; n--)); do
        ip netns del "${NAMESPACES[n]}" 2>/dev/null || echo "netns-wordcount: could not delete namespace ${NAMESPACES[n]}" >&2
    done
    if [ "$rc" -ge 128 ]; then
        echo "FAILED: interrupted (signal $((rc - 128))); stopped the components and removed the namespaces"
    fi
    if [ -n "$WORK" ]; then
        if [ "$rc" = 0 ] && [ $OWN_WORK = 1 ]; then
            rm -rf "$WORK"
        elif [ "$rc" != 0 ]; then
            echo "netns-wordcount: logs kept in $WORK/logs" >&2
        fi
    fi
    exit "$rc"
}

# ---------------------------------------------------------------------------------------------- can we run here?

[ "$(uname -s)" = Linux ] || skip "network namespaces need Linux, this is $(uname -s)"
command -v ip >/dev/null 2>&1 || skip "no 'ip' command (install iproute2)"
[ "$(id -u)" = 0 ] || skip "not root: creating network namespaces needs CAP_SYS_ADMIN and CAP_NET_ADMIN (run it with sudo)"

find_java() {
    local c v
    for c in "${JAVA:-}" "${JAVA_HOME:+$JAVA_HOME/bin/java}" "$(command -v java 2>/dev/null)" /usr/lib/jvm/*/bin/java; do
        [ -n "$c" ] && [ -x "$c" ] || continue
        v=$("$c" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')
        if [ -n "$v" ] && [ "$v" -ge 25 ]; then
            echo "$c"
            return 0
        fi
    done
    return 1
}
JAVA=$(find_java) || fatal "no JDK >= 25 found (set JAVA or JAVA_HOME)"
LEGO_JAR=${LEGO_JAR:-$REPO/legoos-cli/target/lego.jar}
[ -f "$LEGO_JAR" ] || fatal "$LEGO_JAR is missing: build it with ./mvnw -q install -DskipTests -pl legoos-cli -am"

# remove namespaces left behind by runs that were killed with SIGKILL (their pid is gone)
for stale in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^lgwc[0-9]+-' || true); do
    owner=${stale#lgwc}
    owner=${owner%%-*}
    if ! kill -0 "$owner" 2>/dev/null; then
        ip netns del "$stale" 2>/dev/null && say "removed stale namespace $stale"
    fi
done

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

if ! err=$(ip netns add "$(ns probe)" 2>&1); then
    skip "'ip netns add' failed: ${err:-no reason given} (needs CAP_SYS_ADMIN and CAP_NET_ADMIN, a writable /run/netns)"
fi
NAMESPACES+=("$(ns probe)")
if ! err=$(ip netns exec "$(ns probe)" ip link set lo up 2>&1); then
    skip "'ip netns exec' failed: ${err:-no reason given}"
fi
ip netns del "$(ns probe)" && NAMESPACES=()

if [ -n "${LEGO_NETNS_WORK:-}" ]; then
    WORK=$LEGO_NETNS_WORK
    mkdir -p "$WORK" || fatal "cannot create $WORK"
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/lego-netns.XXXXXX") || fatal "cannot create a temporary directory"
    OWN_WORK=1
fi
WORK=$(cd "$WORK" && pwd)
mkdir -p "$WORK/logs" "$WORK/files"
rm -f "$WORK"/logs/* "$WORK"/files/*

say "java $JAVA, lego $LEGO_JAR, work directory $WORK, corpus $CORPUS_BYTES bytes seed $SEED"

# ---------------------------------------------------------------------------------------------- the network

make_ns() {
    local name=$1 err
    err=$(ip netns add "$name" 2>&1) || { echo "ip netns add $name: $err"; return 1; }
    NAMESPACES+=("$name")
    ip -n "$name" link set lo up || return 1
}

bridge_network() {
    local hub err node
    hub=$(ns hub)
    make_ns "$hub" || return 1
    if ! err=$(ip -n "$hub" link add br0 type bridge 2>&1); then
        echo "$err"
        return 1
    fi
    ip -n "$hub" link set br0 up || return 1
    for node in "${NODES[@]}"; do
        make_ns "$(ns "$node")" || return 1
        ip -n "$hub" link add "v-$node" type veth peer name eth0 netns "$(ns "$node")" || return 1
        ip -n "$hub" link set "v-$node" master br0 up || return 1
        ip -n "$(ns "$node")" addr add "$(addr "$node")/24" dev eth0 || return 1
        ip -n "$(ns "$node")" link set eth0 up || return 1
    done
}

# every namespace joins the manager's by a veth pair; the manager's namespace forwards and answers ARP for the others
routed_network() {
    local m node
    m=$(ns manager)
    make_ns "$m" || return 1
    ip -n "$m" addr add "$(addr manager)/32" dev lo || return 1
    ip netns exec "$m" sh -c 'echo 1 > /proc/sys/net/ipv4/ip_forward' || return 1
    for node in "${NODES[@]}"; do
        [ "$node" = manager ] && continue
        make_ns "$(ns "$node")" || return 1
        ip -n "$m" link add "v-$node" type veth peer name eth0 netns "$(ns "$node")" || return 1
        ip -n "$m" link set "v-$node" up || return 1
        ip netns exec "$m" sh -c "echo 1 > /proc/sys/net/ipv4/conf/v-$node/proxy_arp" || return 1
        ip -n "$m" route add "$(addr "$node")/32" dev "v-$node" || return 1
        ip -n "$(ns "$node")" addr add "$(addr "$node")/24" dev eth0 || return 1
        ip -n "$(ns "$node")" link set eth0 up || return 1
    done
}

drop_namespaces() {
    local n
    for n in "${NAMESPACES[@]}"; do
        ip netns del "$n" 2>/dev/null
    done
    NAMESPACES=()
}

# build_network bridge|routed: runs in this shell (so NAMESPACES records what it made), output to logs/network.txt
build_network() {
    "${1}_network" >"$WORK/logs/network.txt" 2>&1
}
case "$MODE" in
    bridge | routed)
        build_network "$MODE" || fail "building the $MODE network failed: $(tail -n 3 "$WORK/logs/network.txt" | tr '\n' ' ')"
        ;;
    auto)
        if build_network bridge; then
            MODE=bridge
        else
            say "no bridge ($(tail -n 1 "$WORK/logs/network.txt")); joining the namespaces to the manager's instead"
            drop_namespaces
            build_network routed || fail "building the routed network failed: $(tail -n 3 "$WORK/logs/network.txt" | tr '\n' ' ')"
            MODE=routed
        fi
        ;;
    *) fatal "LEGO_NETNS_MODE must be auto, bridge or routed, not '$MODE'" ;;
esac
say "network: $MODE; namespaces: ${NAMESPACES[*]}"
for node in "${NODES[@]}"; do
    say "  $(ns "$node")  $(addr "$node")"
done

# ---------------------------------------------------------------------------------------------- the components

MANAGER="$(addr manager):$PORT"

# The cluster's identity, as an operator of several hosts makes it: a CA, a certificate per component naming the
# address others dial it at, an operator for the client; every link between the namespaces is then mutual TLS.
CERTS="$WORK/certs"
certs() { "$JAVA" "${CLIENT_JVM[@]}" -jar "$LEGO_JAR" certs "$@" --dir "$CERTS" >>"$WORK/logs/certs.out" 2>&1 \
    || fail "'lego certs $*' failed: $(tail -n 2 "$WORK/logs/certs.out")"; }
certs create-ca --name netns
declare -A ROLE=([manager]=manager [processor]=processor [memory1]=memory [memory2]=memory [storage]=storage)
for node in manager processor memory1 memory2 storage; do
    certs create-component "$node" --role "${ROLE[$node]}" --host "$(addr "$node")"
done
certs create-operator admin
printf 'security:\n  dir: %s\n' "$CERTS" >"$WORK/client.yaml"
say "certificates: $(ls "$CERTS" | tr '\n' ' ')"

# start_component NODE ROLE OPTIONS...: runs `lego ROLE` inside NODE's namespace in the background, presenting NODE's
# certificate
start_component() {
    local node=$1 role=$2
    shift 2
    ip netns exec "$(ns "$node")" "$JAVA" "${COMPONENT_JVM[@]}" -jar "$LEGO_JAR" "$role" "$@" \
        --set "security.dir=$CERTS" --set "security.identity=$node" \
        >"$WORK/logs/$node.out" 2>"$WORK/logs/$node.err" </dev/null &
    PIDS+=($!)
    eval "PID_$node=$!"
}

# await_ready NODE: waits for its "ready" line
await_ready() {
    local node=$1 pidvar="PID_$1" n
    for n in $(seq $((STEP_TIMEOUT * 10))); do
        grep -q ' ready at ' "$WORK/logs/$node.out" 2>/dev/null && return 0
        kill -0 "${!pidvar}" 2>/dev/null || fail "$node exited before it was ready"
        sleep 0.1
    done
    fail "$node was not ready within $STEP_TIMEOUT s"
}

start_component manager manager --manager.address "$MANAGER" --set manager.stateDir= --manager.memory-policy round-robin
await_ready manager
say "$(cat "$WORK/logs/manager.out")"
start_component processor processor --manager.address "$MANAGER" --processor.listen "$(addr processor):0" \
    --processor.excache-bytes 16MiB
for m in memory1 memory2; do
    start_component "$m" memory --manager.address "$MANAGER" --memory.listen "$(addr "$m"):0" \
        --memory.capacity-bytes 256MiB --memory.vregion-bytes 1MiB --memory.workers 2
done
start_component storage storage --manager.address "$MANAGER" --storage.listen "$(addr storage):0" \
    --storage.root "$WORK/storage"
for node in processor memory1 memory2 storage; do
    await_ready "$node"
    say "$(cat "$WORK/logs/$node.out")"
done

# ---------------------------------------------------------------------------------------------- the client

STEP=0
# lego NAME ARGS...: runs `lego ARGS...` in the client namespace (in the background, so a signal is handled at
# once); its stdout goes to logs/NAME.out; fails the run unless it exits 0
lego() {
    local name=$1 rc pid
    shift
    STEP=$((STEP + 1))
    local log="$WORK/logs/client-$STEP-$name"
    local words=("$1")
    shift
    [ "${words[0]}" = vnode ] && { words+=("$1"); shift; }
    timeout "$STEP_TIMEOUT" ip netns exec "$(ns client)" "$JAVA" "${CLIENT_JVM[@]}" -jar "$LEGO_JAR" "${words[@]}" \
        --config "$WORK/client.yaml" "$@" \
        >"$log.out" 2>"$log.err" </dev/null &
    pid=$!
    wait "$pid"
    rc=$?
    [ $rc = 0 ] || fail "'lego $*' exited with code $rc$([ $rc = 124 ] && echo " (timed out after $STEP_TIMEOUT s)"): $(tail -n 3 "$log.err")"
    LAST_OUT="$log.out"
}

lego status status --manager "$MANAGER"
cat "$LAST_OUT"
alive=$(grep -c ' ALIVE ' "$LAST_OUT")
[ "$alive" = 4 ] || fail "expected 4 ALIVE components in lego status, saw $alive"

lego vnode-create vnode create wc --manager "$MANAGER"
say "$(cat "$LAST_OUT")"
lego corpus run --manager "$MANAGER" --vnode wc corpus /corpus.txt --bytes "$CORPUS_BYTES" --seed "$SEED"
say "$(cat "$LAST_OUT")"
lego cp-out cp --manager "$MANAGER" wc:/corpus.txt "$WORK/files/corpus.txt"
size=$(stat -c %s "$WORK/files/corpus.txt")
[ "$size" = "$CORPUS_BYTES" ] || fail "copied out $size bytes of corpus, expected $CORPUS_BYTES"
lego cp-in cp --manager "$MANAGER" "$WORK/files/corpus.txt" wc:/in/corpus.txt
T0=$(date +%s.%N)
lego wordcount run --manager "$MANAGER" --vnode wc wordcount /in/corpus.txt --top "$TOP" --out /counts.txt
T1=$(date +%s.%N)
cp "$LAST_OUT" "$WORK/files/summary.txt"
lego cp-counts cp --manager "$MANAGER" wc:/counts.txt "$WORK/files/counts.txt"
lego status-after status --manager "$MANAGER"
cat "$LAST_OUT"

# ---------------------------------------------------------------------------------------------- the check

# WordCount's tokenisation contract: a word is a maximal run of ASCII letters, folded to lower case
export LC_ALL=C
tr -cs 'A-Za-z' '\n' <"$WORK/files/corpus.txt" | tr 'A-Z' 'a-z' | sed '/^$/d' | sort | uniq -c \
    | awk '{print $2 " " $1}' >"$WORK/files/expected-counts.txt"
total=$(awk '{s += $2} END {print s + 0}' "$WORK/files/expected-counts.txt")
distinct=$(wc -l <"$WORK/files/expected-counts.txt" | tr -d ' ')
{
    echo "words=$total distinct=$distinct"
    sort -k2,2nr -k1,1 "$WORK/files/expected-counts.txt" | head -n "$TOP" | awk '{print $2 " " $1}'
} >"$WORK/files/expected-summary.txt"

if ! cmp -s "$WORK/files/summary.txt" "$WORK/files/expected-summary.txt"; then
    fail "word count printed a wrong summary: $(diff "$WORK/files/expected-summary.txt" "$WORK/files/summary.txt" | head -n 10 | tr '\n' '|')"
fi
if ! cmp -s "$WORK/files/counts.txt" "$WORK/files/expected-counts.txt"; then
    fail "word count wrote wrong counts: $(diff "$WORK/files/expected-counts.txt" "$WORK/files/counts.txt" | head -n 10 | tr '\n' '|')"
fi
cat "$WORK/files/summary.txt"
secs=$(awk -v a="$T0" -v b="$T1" 'BEGIN {printf "%.1f", b - a}')
echo "OK: word count across ${#NODES[@]} network namespaces ($MODE, 5 components + client) matches the reference:" \
    "words=$total distinct=$distinct, corpus $CORPUS_BYTES bytes seed $SEED, lego run ${secs}s, total $(($(date +%s) - STARTED))s"
