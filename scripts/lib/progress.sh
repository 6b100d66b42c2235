# Progress output for the README's two commands (scripts/demo.sh, scripts/test.sh): a first
# line with the time estimate, the elapsed time on every stage header and at the end, and
# ninja's build as a [done/total] counter with the time left. Sourced, never run; the sourcing
# script sets `set -euo pipefail`.

progress_start_s=$(date +%s)

# mm:ss (or h:mm:ss) since the script started.
progress_elapsed() {
  local s=$(($(date +%s) - progress_start_s))
  if [ "$s" -ge 3600 ]; then
    printf '%d:%02d:%02d' $((s / 3600)) $((s % 3600 / 60)) $((s % 60))
  else
    printf '%d:%02d' $((s / 60)) $((s % 60))
  fi
}

# The first line: what runs and how long it should take.
progress_begin() {  # name, estimate sentence
  printf '%s: %s (started %s UTC)\n' "$1" "$2" "$(date -u +%H:%M:%S)"
}

# The build steps ninja would run for BUILD_DIR's targets (a dry run), or "" if the build
# dir is not configured yet.
progress_build_steps() {  # build dir, targets...
  local dir=$1
  shift
  [ -f "$dir/build.ninja" ] || return 0
  ninja -C "$dir" -n "$@" 2>/dev/null | grep -c '^\[' || true
}

# Filters ninja's output (stdin) for a person watching: on a terminal one line rewritten in
# place, "[done/total] pct% elapsed, ~left remaining: what"; in a log (CI) a line at every
# 10 % and at least every 30 s. Every other line (compiler warnings and errors, FAILED:) goes
# through unchanged. The whole output is also written to `log`.
progress_ninja() {  # log file
  local tty=0 awk=(awk)
  [ -t 1 ] && tty=1
  # mawk (Debian's awk) reads a pipe in blocks unless told -W interactive.
  if awk -W version 2>&1 | grep -q mawk; then awk=(awk -W interactive); fi
  "${awk[@]}" -v logfile="$1" -v tty="$tty" -v start="$(date +%s)" '
    function now() { return systime() }
    function clock(s) { return sprintf("%d:%02d", int(s / 60), s % 60) }
    { print > logfile; fflush(logfile) }
    match($0, /^\[[0-9]+\/[0-9]+\] /) {
      split(substr($0, 2, RLENGTH - 3), nm, "/")
      n = nm[1] + 0; m = nm[2] + 0
      what = substr($0, RLENGTH + 1); sub(/^[A-Za-z]+ [A-Za-z+]+ object /, "", what)
      sub(/CMakeFiles\/[^\/]*\.dir\//, "", what); sub(/\.o$/, "", what)
      pct = m ? int(100 * n / m) : 100
      spent = now() - start
      left = n ? int(spent * (m - n) / n) : 0
      line = sprintf("[%d/%d] %3d%% %s elapsed, ~%s left: %s", n, m, pct, clock(spent),
                     clock(left), substr(what, 1, 60))
      if (tty) {
        printf "\r\033[K%s", line; fflush(); shown = 1
      } else if (pct >= next_pct || spent - last >= 30 || n == m) {
        print line; fflush()
        while (next_pct <= pct) next_pct += 10
        last = spent
      }
      next
    }
    {
      if (tty && shown) { printf "\n"; shown = 0 }
      print; fflush()
    }
    END { if (tty && shown) printf "\n" }'
}
