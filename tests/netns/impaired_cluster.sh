#!/usr/bin/env bash
# The cluster across network namespaces, every link impaired: client, director and three
# workers each in their own namespace (veth pairs, addresses 10.77.N.x/24 that exist only
# inside these namespaces), connswap-impair relays (5 % loss, 50 +- 10 ms each way, seeded)
# on client <-> director and director <-> each worker (USER and MGMT).
#   phase 1: a 3 s blackhole between the director and worker-1 mid-stream: detected, its
#            streams move, every token exactly once;
#   phase 2: worker-2 SIGKILLed mid-stream: its streams move, every token exactly once.
# Usage: impaired_cluster.sh BUILD_DIR   (needs root and `ip netns`; else exits 77 = skip)
# Environment: CONNSWAP_NETNS_SEED (77), CONNSWAP_NETNS_STREAMS (4 per client),
# CONNSWAP_NETNS_TOKENS (160 per stream, 25 ms apart).
# Prints the figures (client summaries, gaps, detection time, relay stats). Cleans up its
# namespaces and processes on any exit.
set -euo pipefail

BUILD=${1:?usage: impaired_cluster.sh BUILD_DIR}
BIN=$BUILD/apps
SEED=${CONNSWAP_NETNS_SEED:-77}
IMPAIR=(--loss 0.05 --delay-ms 50 --jitter-ms 10)
TOKENS=${CONNSWAP_NETNS_TOKENS:-160}
STREAMS=${CONNSWAP_NETNS_STREAMS:-4}

. "$(dirname "${BASH_SOURCE[0]}")/../lib/poll.sh"  # skip, fail, wait_until, has_file, has_line, field
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces"
command -v ip >/dev/null || skip "no ip(8)"
ip netns list >/dev/null 2>&1 || skip "ip netns unavailable"

TAG=cs$$
NS=("$TAG-c" "$TAG-d" "$TAG-w1" "$TAG-w2" "$TAG-w3")
DIR=$(mktemp -d /tmp/connswap-netns.XXXXXX)
PIDS=()

cleanup() {
  local status=$?
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for ns in "${NS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  if [ "$status" != 0 ] && [ "$status" != 77 ]; then
    for f in "$DIR"/*.err; do echo "----- $f (last 15 lines)"; tail -15 "$f"; done
  fi
  rm -rf "$DIR"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM



# start NAME NS CMD...: runs CMD in namespace NS, stdout/stderr to $DIR/NAME.{out,err}.
start() {
  local name=$1 ns=$2; shift 2
  ip netns exec "$ns" "$@" >"$DIR/$name.out" 2>"$DIR/$name.err" &
  PIDS+=($!)
  eval "PID_${name//-/_}=$!"
}

# --- namespaces: the director's namespace is the hub (one veth pair per peer) ---------
for ns in "${NS[@]}"; do
  ip netns add "$ns"
  ip -n "$ns" link set lo up
done
# link N: peer namespace <-> director; peer 10.77.N.1, director 10.77.N.2.
link() {
  local n=$1 peer=$2
  ip link add "$TAG-p$n" netns "$peer" type veth peer name "$TAG-d$n" netns "${NS[1]}"
  ip -n "$peer" addr add "10.77.$n.1/24" dev "$TAG-p$n"
  ip -n "${NS[1]}" addr add "10.77.$n.2/24" dev "$TAG-d$n"
  ip -n "$peer" link set "$TAG-p$n" up
  ip -n "${NS[1]}" link set "$TAG-d$n" up
}
link 1 "${NS[0]}"  # client
link 2 "${NS[2]}"  # worker-1
link 3 "${NS[3]}"  # worker-2
link 4 "${NS[4]}"  # worker-3

"$BIN/certs/connswap-certs" --out "$DIR/certs" \
  --ip 10.77.1.2 --ip 10.77.2.2 --ip 10.77.3.2 --ip 10.77.4.2 >/dev/null
# Each program its role's certificate (docs/PROTOCOL.md §7.5).
tls() { echo --tls-cert "$DIR/certs/$1.pem" --tls-key "$DIR/certs/$1-key.pem" --tls-ca "$DIR/certs/ca.pem"; }

# --- director and the client-side relay (both in the director's namespace) -------------
start director "${NS[1]}" "$BIN/director/connswap-director" $(tls director) \
  --user-addr 10.77.1.2:0 --mgmt-addr 10.77.1.2:0 --ready-file "$DIR/director.ready" \
  --heartbeat-timeout-ms 1500 --min-stall-ms 500 --first-token-timeout-ms 2000 \
  --failure-hold-ms 5000 --worker-wait-ms 2000
wait_until 20 has_file "$DIR/director.ready" || fail "director not ready"
D_USER=$(field "$DIR/director.ready" user)
D_MGMT=$(field "$DIR/director.ready" mgmt)

start relay-client "${NS[1]}" "$BIN/impair/connswap-impair" "${IMPAIR[@]}" --seed "$SEED" \
  --link "user,10.77.1.2:0,$D_USER" --ready-file "$DIR/relay-client.ready"
wait_until 20 has_file "$DIR/relay-client.ready" || fail "client relay not ready"

# --- workers, each behind its relay (in the director's namespace, on its link) ---------
for i in 1 2 3; do
  n=$((i + 1))
  start "relay-w$i" "${NS[1]}" "$BIN/impair/connswap-impair" "${IMPAIR[@]}" \
    --seed $((SEED + i)) --signal-blackhole-ms 3000 \
    --link "user,10.77.$n.2:0,@$DIR/worker-$i.ready#user" \
    --link "mgmt,10.77.$n.2:0,$D_MGMT" --ready-file "$DIR/relay-w$i.ready"
  wait_until 20 has_file "$DIR/relay-w$i.ready" || fail "relay-w$i not ready"
  start "worker-$i" "${NS[$n]}" "$BIN/worker/connswap-worker" $(tls worker) \
    --label "worker-$i" --user-addr "10.77.$n.1:0" --mgmt-addr "10.77.$n.1:0" \
    --director-mgmt-addr "$(field "$DIR/relay-w$i.ready" mgmt)" \
    --advertise-user-addr "$(field "$DIR/relay-w$i.ready" user)" \
    --token-interval-ms 25 --fail-after-ms 0 --fail-mode none --drain-timeout-ms 2000 \
    --ready-file "$DIR/worker-$i.ready"
done
for i in 1 2 3; do
  wait_until 20 has_line "$DIR/director.err" "worker=worker-$i .*worker registered" ||
    fail "worker-$i did not register through its relay"
done
echo "cluster up: director $D_USER, client relay $(field "$DIR/relay-client.ready" user)"

# run_client NAME: starts a client in the client namespace through the client relay.
run_client() {
  start "$1" "${NS[0]}" "$BIN/client/connswap-client" --tls-ca "$DIR/certs/ca.pem" \
    --director "$(field "$DIR/relay-client.ready" user)" --connection-id "conn-$1" \
    --streams "$STREAMS" --max-tokens "$TOKENS" --log-level info
}
# check_client NAME: waits for its exit and checks the summary and every stream's tokens.
check_client() {
  local name=$1 pid_var="PID_${1//-/_}"
  wait "${!pid_var}" || fail "$name exited non-zero"
  local summary
  summary=$(grep '^summary ' "$DIR/$name.out") || fail "$name printed no summary"
  echo "$name: $summary"
  grep -q 'verified=true' <<<"$summary" || fail "$name not verified"
  grep -q ' lost=0 duplicated=0 out_of_order=0 ' <<<"$summary" || fail "$name lost tokens"
  # Independently: each stream logged sequences 1..TOKENS once, in order. Prints gaps.
  awk -v tokens="$TOKENS" -v streams="$STREAMS" -v name="$name" '
    /received token/ {
      split($1, t, ":"); us = ((t[1] * 60 + t[2]) * 60 + t[3]) * 1e6
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^stream\.id=/) { s = substr($i, 11) }
        if ($i ~ /^sequence=/) { q = substr($i, 10); sub(":", "", q) }
        if ($i ~ /^worker=/) { w = substr($i, 8) }
      }
      if (q != next_seq[s] + 1) { bad = bad " stream " s " seq " q }
      next_seq[s] = q
      if (last[s] != "") { gap = (us - last[s]) / 1000; if (gap > max[s]) max[s] = gap }
      if (w != worker[s]) { path[s] = path[s] (path[s] == "" ? "" : "->") w; worker[s] = w }
      last[s] = us
    }
    END {
      n = 0
      for (s in next_seq) {
        n++
        if (next_seq[s] != tokens) { bad = bad " stream " s " ended at " next_seq[s] }
        printf "  %s stream=%s workers=%s max_gap_ms=%d\n", name, s, path[s], max[s]
      }
      if (n != streams) { bad = bad " streams=" n }
      if (bad != "") { print "  BAD:" bad; exit 1 }
    }' "$DIR/$name.err" || fail "$name: a stream is not intact"
}

# --- phase 1: blackhole director <-> worker-1 for 3 s -----------------------------------
run_client client-1
wait_until 30 has_line "$DIR/client-1.err" "worker=worker-1 .*sequence=20:" ||
  fail "no stream on worker-1"
kill -USR1 "$PID_relay_w1"
wait_until 10 has_line "$DIR/relay-w1.err" "blackhole on" || fail "no blackhole"
check_client client-1
on=$(grep -m1 'blackhole on' "$DIR/relay-w1.err" | cut -d' ' -f1)
moved=$(grep 'CONNECTION MIGRATION' "$DIR/client-1.err" | grep -m1 'from_worker=worker-1 ') ||
  fail "no stream moved off worker-1"
detected=$(awk -v a="$on" -v b="$(cut -d' ' -f1 <<<"$moved")" 'BEGIN {
  split(a, x, ":"); split(b, y, ":")
  printf "%d", (((y[1] - x[1]) * 60 + (y[2] - x[2])) * 60 + (y[3] - x[3])) * 1000 }')
echo "phase 1: blackhole detected after ${detected} ms ($(grep -o 'reason=[a-z_]*' <<<"$moved"))"
[ "$detected" -ge 0 ] && [ "$detected" -lt 3000 ] || fail "blackhole not detected within 3 s"
wait_until 10 has_line "$DIR/relay-w1.err" "blackhole off" || fail "blackhole did not end"

# --- phase 2: SIGKILL worker-2 mid-stream ------------------------------------------------
run_client client-2
wait_until 30 has_line "$DIR/client-2.err" "worker=worker-2 .*sequence=20:" ||
  fail "no stream on worker-2"
kill -KILL "$PID_worker_2"
wait "$PID_worker_2" 2>/dev/null || true  # reaped here: no job notice later
check_client client-2
grep -q 'from_worker=worker-2 ' "$DIR/client-2.err" || fail "no stream moved off worker-2"
echo "phase 2: worker-2 killed, streams moved:"
grep 'from_worker=worker-2 ' "$DIR/client-2.err" | grep -o 'to_worker=[^ ]* reason=[a-z_]*' |
  sed 's/^/  /'

# --- relay figures ------------------------------------------------------------------------
for r in relay-client relay-w1 relay-w2 relay-w3; do
  pid_var="PID_${r//-/_}"
  kill -TERM "${!pid_var}"
  wait "${!pid_var}" || true
  sed "s/^/  $r /" "$DIR/$r.out"
done
lost=$(cat "$DIR"/relay-*.out | grep -o ' lost=[0-9]*' | cut -d= -f2 | paste -sd+ | bc)
[ "$lost" -gt 0 ] || fail "the relays dropped nothing"
echo "PASS (seed $SEED, $lost datagrams lost by the relays)"
