#!/usr/bin/env bash
# template-e2e.sh MODE: the README's "Write your own program", run on a fresh clone and checked.
#
# Clones this repository's HEAD into a work directory and runs there, one by one, exactly the commands of the
# README's "Write your own program" block (after checking that README.md and template/README.md show exactly those
# commands): installs legoos-api, packages template/, `./lego up` (which builds the lego command on first use),
# creates a vNode, copies the template's jar and sample in, runs the program, `./lego down`. Just before the README's
# `lego run` it runs the program without its FILE argument, which must exit 2 with a usage line on stderr. It checks
# that the README's `lego run` exits 0 and prints what an awk twin computes from template/sample.txt (sizes,
# Adler-32, the ten most frequent letters), and that the README shows that same output. The cluster is always
# brought down (trap), also on failure or interrupt. Every command is bounded by a timeout.
#
# MODE is the processor's: `--set processor.mode=MODE` (thread or process) to `./lego up` (lego up writes its configuration, --set included, into .lego/lego.yaml,
# which every component it starts reads).
#
# Isolation from a developer's own cluster and builds: the clone has its own .lego/ run directory, and a lego.yaml
# in the clone's root (read by `lego up` and by every client command run there) puts the manager on a free port
# outside the ephemeral range instead of 7700 (the components follow it: port+1, +101, +102, +201). Maven installs
# go to a local repository in the work directory, reading everything else from ~/.m2/repository (its "tail"), so the
# clone's snapshots never replace the developer's; MAVEN_ARGS given by the caller (e.g. -o) are kept, and one that
# sets maven.repo.local turns this off.
#
# Prints "OK: ..." as its last line and exits 0 on success; any failure prints "FAILED: <reason>" (with the logs'
# tails) and exits 1; a usage error exits 2. The work directory is removed on success and kept on failure.
#
# Environment (all optional):
#   TEMPLATE_E2E_WORK   work directory (default: a new temporary directory)
#   TEMPLATE_E2E_PORT   the manager's port (default: a free one in 20000..31999)
#   STEP_TIMEOUT        seconds a cluster command may take (default: 120)
#   BUILD_TIMEOUT       seconds a build may take: the mvnw commands and the first ./lego (default: 1200)
set -uo pipefail

usage() {
    echo "usage: scripts/template-e2e.sh thread|process" >&2
    exit 2
}
[ $# = 1 ] || usage
MODE=$1
case "$MODE" in
    thread) UP_EXTRA=(--set processor.mode=thread) ;;
    process) UP_EXTRA=(--set processor.mode=process) ;;
    *) usage ;;
esac

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/.." && pwd)
STEP_TIMEOUT=${STEP_TIMEOUT:-120}
BUILD_TIMEOUT=${BUILD_TIMEOUT:-1200}
STARTED=$(date +%s)

# The README's commands, in its order. The README's block must be exactly these lines (checked below).
COMMANDS=(
    "./mvnw -q install -DskipTests -pl legoos-api -am"
    "./mvnw -q -f template/pom.xml package"
    "./lego up"
    "./lego vnode create demo"
    "./lego cp template/target/hist.jar demo:/bin/hist.jar"
    "./lego cp template/sample.txt demo:/in/sample.txt"
    "./lego run --vnode demo /bin/hist.jar /in/sample.txt"
    "./lego down"
)
SAMPLE=template/sample.txt # the local file the run reads, as /in/sample.txt in the vNode
SAMPLE_IN_VNODE=/in/sample.txt

WORK=""
OWN_WORK=0
CLONE=""
CLUSTER_UP=0 # set once ./lego up was started, cleared by a successful ./lego down
STEP_PID=""
LOGS_HELP=1 # whether the components' logs can explain a failure (not once the output is being checked)

say() { echo "template-e2e: $*"; }
show_logs() {
    local f
    [ -n "$WORK" ] && [ -d "$WORK/logs" ] && [ "$LOGS_HELP" = 1 ] || return 0
    for f in "$CLONE"/.lego/logs/*.log; do # the components' (each step's stderr was shown after it)
        [ -s "$f" ] || continue
        echo "--- last lines of $f:"
        tail -n 15 "$f"
    done
}
fail() {
    echo "FAILED: $*"
    show_logs
    exit 1
}

cleanup() {
    local rc=$?
    trap - EXIT INT TERM HUP
    if [ -n "$STEP_PID" ]; then # an interrupted step: timeout passes the TERM on to the command's process group
        kill -TERM "$STEP_PID" 2>/dev/null
        wait "$STEP_PID" 2>/dev/null
    fi
    if [ "$CLUSTER_UP" = 1 ]; then
        say "bringing the cluster down"
        (cd "$CLONE" && timeout -k 10 "$STEP_TIMEOUT" ./lego down) || {
            echo "template-e2e: './lego down' failed; processes may be left: see $CLONE/.lego/pids" >&2
            rc=1
        }
    fi
    if [ "$rc" -ge 128 ]; then
        echo "FAILED: interrupted (signal $((rc - 128)))"
    fi
    if [ -n "$WORK" ]; then
        if [ "$rc" = 0 ] && [ $OWN_WORK = 1 ]; then
            rm -rf "$WORK"
        elif [ "$rc" != 0 ]; then
            echo "template-e2e: work directory kept: $WORK" >&2
        fi
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

# ---------------------------------------------------------------------------------------------- the clone

command -v git >/dev/null 2>&1 || fail "no git"
command -v timeout >/dev/null 2>&1 || fail "no timeout (coreutils)"
HEAD=$(git -C "$REPO" rev-parse HEAD) || fail "$REPO is not a git checkout"
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no)" ]; then
    say "warning: $REPO has uncommitted changes; this checks the commit $HEAD only"
fi
if [ -n "${TEMPLATE_E2E_WORK:-}" ]; then
    WORK=$TEMPLATE_E2E_WORK
    mkdir -p "$WORK" || fail "cannot create $WORK"
    [ -z "$(ls -A "$WORK")" ] || fail "TEMPLATE_E2E_WORK=$WORK is not empty"
else
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/lego-template-e2e.XXXXXX") || fail "cannot create a temporary directory"
    OWN_WORK=1
fi
WORK=$(cd "$WORK" && pwd)
mkdir -p "$WORK/logs"
CLONE=$WORK/clone
git clone -q --no-hardlinks --no-checkout "$REPO" "$CLONE" >"$WORK/logs/00-clone.err" 2>&1 \
    && git -C "$CLONE" checkout -q --detach "$HEAD" >>"$WORK/logs/00-clone.err" 2>&1 \
    || fail "cloning $REPO: $(tail -n 3 "$WORK/logs/00-clone.err")"
say "mode $MODE, fresh clone of $HEAD in $CLONE"

# the README's block after "<!-- template-e2e: NAME ... -->", without its fences
readme_block() {
    awk -v m="<!-- template-e2e: $1" 'index($0, m) == 1 { f = 1; next }
        f == 1 && /^```/ { f = 2; next }
        f == 2 && /^```/ { exit }
        f == 2 { print }' "$CLONE/README.md"
}
readme_commands=$(readme_block commands)
[ -n "$readme_commands" ] || fail "README.md has no block marked '<!-- template-e2e: commands' (the section 'Write your own program')"
if [ "$readme_commands" != "$(printf '%s\n' "${COMMANDS[@]}")" ]; then
    fail "README.md's commands are not the ones this script runs; update both together:
$(diff <(printf '%s\n' "${COMMANDS[@]}") <(echo "$readme_commands") | sed 's/^/  /')"
fi

template_commands=$(sed -n 's/^    \(\.\/.*\)$/\1/p' "$CLONE/template/README.md")
if [ "$template_commands" != "$(printf '%s\n' "${COMMANDS[@]}")" ]; then
    fail "template/README.md's commands are not the ones this script runs; update both together:
$(diff <(printf '%s\n' "${COMMANDS[@]}") <(echo "$template_commands") | sed 's/^/  /')"
fi

# ---------------------------------------------------------------------------------------------- isolation

port_free() { # nothing accepts connections on 127.0.0.1:$1
    ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}
ports_free() { # the manager's port and those lego up gives 1 storage, 2 memory and 1 processor component after it
    local p
    for p in "$1" $(($1 + 1)) $(($1 + 101)) $(($1 + 102)) $(($1 + 201)); do
        port_free "$p" || return 1
    done
}
# pick_port: sets PORT to a block whose ports are all free now (TEMPLATE_E2E_PORT, or a random one)
pick_port() {
    if [ -n "${TEMPLATE_E2E_PORT:-}" ]; then
        PORT=$TEMPLATE_E2E_PORT
        ports_free "$PORT" || fail "TEMPLATE_E2E_PORT=$PORT: it or a component port after it is in use"
    else
        PORT=""
        for _ in $(seq 50); do
            p=$((20000 + RANDOM % 12000)) # below Linux's default ephemeral ports (32768..)
            if ports_free "$p"; then
                PORT=$p
                break
            fi
        done
        [ -n "$PORT" ] || fail "found no free block of ports in 20000..32200; set TEMPLATE_E2E_PORT"
    fi
    cat >"$CLONE/lego.yaml" <<EOF
# written by scripts/template-e2e.sh: a manager port of its own, so a cluster on 7700 is left alone
manager:
  address: "127.0.0.1:$PORT"
EOF
}
pick_port

case " ${MAVEN_ARGS:-} " in
    *maven.repo.local*) say "MAVEN_ARGS sets maven.repo.local: installing there" ;;
    *)
        export MAVEN_ARGS="${MAVEN_ARGS:+$MAVEN_ARGS }-Dmaven.repo.local=$WORK/m2 -Dmaven.repo.local.tail=$HOME/.m2/repository"
        ;;
esac
say "manager on 127.0.0.1:$PORT, run directory $CLONE/.lego, MAVEN_ARGS=$MAVEN_ARGS"

# ---------------------------------------------------------------------------------------------- the commands

STEP=0
# run_step TIMEOUT WORD...: runs a command in the clone, stdout and stderr to logs/NN.out/.err, shown afterwards;
# sets STEP_RC and STEP_OUT. In the background so that an interrupt is handled at once.
run_step() {
    local limit=$1 t0 t1
    shift
    STEP=$((STEP + 1))
    local log
    log=$(printf '%s/logs/%02d' "$WORK" "$STEP")
    echo "\$ $*"
    t0=$(date +%s)
    (cd "$CLONE" && exec timeout -k 10 "$limit" "$@") >"$log.out" 2>"$log.err" </dev/null &
    STEP_PID=$!
    wait "$STEP_PID"
    STEP_RC=$?
    STEP_PID=""
    t1=$(date +%s)
    sed 's/^/    /' "$log.out"
    grep -v 'sun.misc.Unsafe\|HiddenClassDefiner\|consider reporting this' "$log.err" | sed 's/^/    (stderr) /'
    echo "    [exit $STEP_RC, $((t1 - t0)) s]"
    if [ "$STEP_RC" = 124 ] || [ "$STEP_RC" = 137 ]; then
        fail "'$*' timed out after $limit s"
    fi
    STEP_OUT=$log.out
}

built_lego=0
for cmd in "${COMMANDS[@]}"; do
    read -ra words <<<"$cmd"
    limit=$STEP_TIMEOUT
    case "$cmd" in
        ./mvnw*) limit=$BUILD_TIMEOUT ;;
        ./lego*) [ $built_lego = 1 ] || limit=$BUILD_TIMEOUT; built_lego=1 ;; # the launcher builds on first use
    esac
    case "$cmd" in
        "./lego up")
            words+=("${UP_EXTRA[@]}")
            CLUSTER_UP=1
            ;;
        "./lego run "*)
            # first the usage error: no FILE
            run_step "$limit" "${words[@]:0:5}"
            [ "$STEP_RC" = 2 ] || fail "'${words[*]:0:5}' (no FILE) exited $STEP_RC, expected 2 (usage error)"
            grep -q '^usage: ' "${STEP_OUT%.out}.err" || fail "'${words[*]:0:5}' printed no 'usage: ' line on stderr"
            ;;
    esac
    run_step "$limit" "${words[@]}"
    # a port found free may be taken by another program before lego up's component binds it (lego up keeps its
    # fixed ports and fails): then another block, twice at the most, unless the port was given
    for _ in 1 2; do
        [ "$cmd" = "./lego up" ] && [ "$STEP_RC" != 0 ] && [ -z "${TEMPLATE_E2E_PORT:-}" ] \
            && grep -q "Address already in use" "$STEP_OUT" "${STEP_OUT%.out}.err" || break
        say "a port of the block at $PORT was taken meanwhile: lego down, and up again on another block"
        run_step "$STEP_TIMEOUT" ./lego down
        pick_port
        say "manager now on 127.0.0.1:$PORT"
        run_step "$limit" "${words[@]}"
    done
    [ "$STEP_RC" = 0 ] || fail "'${words[*]}' exited with code $STEP_RC"
    case "$cmd" in
        "./lego run "*) RUN_OUT=$STEP_OUT ;;
        "./lego down") CLUSTER_UP=0 ;;
    esac
done

# ---------------------------------------------------------------------------------------------- the check

# The program's contract, computed from the local sample with od and awk: bytes, newline bytes, ASCII letters and
# the Adler-32 of the file, then the 10 most frequent letters (folded to lower case) by count descending, ties a to
# z (sort), each with a bar of ceil(count * 40 / max) '#'.
LOGS_HELP=0
export LC_ALL=C
expected=$WORK/expected.txt
{
    od -An -v -tu1 "$CLONE/$SAMPLE" | awk -v name="$SAMPLE_IN_VNODE" '
        BEGIN { a = 1; b = 0 }
        { for (i = 1; i <= NF; i++) {
            x = $i; bytes++; lines += (x == 10); letters += (x >= 65 && x <= 90) || (x >= 97 && x <= 122)
            a = (a + x) % 65521; b = (b + a) % 65521 } }
        END { printf "%s: %d bytes, %d lines, %d letters, adler32 %08x\n", name, bytes, lines, letters, b * 65536 + a }'
    tr -cd 'A-Za-z' <"$CLONE/$SAMPLE" | tr 'A-Z' 'a-z' | fold -w1 | sort | uniq -c | sort -k1,1nr -k2,2 | head -n 10 \
        | awk 'NR == 1 { max = $1 }
            { bar = ""; for (n = int(($1 * 40 + max - 1) / max); n > 0; n--) bar = bar "#"; printf "%s %6d %s\n", $2, $1, bar }'
} >"$expected"

if ! cmp -s "$expected" "$RUN_OUT"; then
    fail "the program's output differs from what awk computes from $SAMPLE (< expected, > program):
$(diff "$expected" "$RUN_OUT" | sed 's/^/  /')"
fi
readme_output=$(readme_block output)
if [ "$readme_output" != "$(cat "$RUN_OUT")" ]; then
    fail "README.md shows another output than the program prints (< README, > program); update the README:
$(diff <(echo "$readme_output") "$RUN_OUT" | sed 's/^/  /')"
fi
echo "OK: template program ($MODE mode) on a fresh clone printed the expected histogram of $SAMPLE, as the README shows;" \
    "total $(($(date +%s) - STARTED)) s"
