# Shell helpers for the tests that drive real processes from bash (tests/deploy/deb_install.sh,
# tests/netns/impaired_cluster.sh): waiting on an event by polling, never a fixed sleep, and
# reading the programs' ready-files. Source it; it defines functions only.

skip() { echo "SKIP: $*"; exit 77; }  # CTest's SKIP_RETURN_CODE
fail() { echo "FAIL: $*"; exit 1; }

# wait_until SECONDS CMD...: polls every 50 ms until CMD succeeds (0) or SECONDS pass (1).
wait_until() {
  local budget=$1; shift
  local end=$((SECONDS + budget))
  until "$@"; do
    [ $SECONDS -lt $end ] || return 1
    sleep 0.05
  done
}
has_file() { [ -s "$1" ]; }                         # FILE exists and is not empty
has_line() { grep -q -- "$2" "$1" 2>/dev/null; }    # FILE has a line matching REGEX
field() { grep "^$2=" "$1" | cut -d= -f2; }         # KEY=VALUE line of a ready-file
