#!/usr/bin/env bash
# The sans-IO core (base, wire, rpc, quic, pki, http) must not do I/O or read the clock; only
# src/net and the apps may (STYLE.md 2.1). CMake links enforce module dependencies; this
# catches stray includes and calls that links cannot.
set -u
root=${1:-$(cd "$(dirname "$0")/.." && pwd)}
status=0
core_dirs=()
for d in base wire rpc quic migration worker director client services http openai front impair; do
  [ -d "$root/src/$d" ] && core_dirs+=("$root/src/$d")
done
patterns=(
  '#include *<sys/socket\.h>' '#include *<sys/epoll\.h>' '#include *<asio' '#include *"net/'
  'steady_clock::now' 'system_clock::now' 'clock_gettime' '\bsendmsg *\(' '\brecvmsg *\('
  '\bsleep_for *\('
)
for p in "${patterns[@]}"; do
  if hits=$(grep -rnE "$p" "${core_dirs[@]}" --include='*.h' --include='*.cc'); then
    echo "layering: forbidden in the sans-IO core: $p"
    echo "$hits"
    status=1
  fi
done
# The OpenAI JSON layer sits on base and the generated protobuf only (not rpc, not roles).
if [ -d "$root/src/openai" ] &&
  hits=$(grep -rnE '#include *"' "$root/src/openai" | grep -vE '#include *"(base|openai|connswap/v1)/'); then
  echo "layering: src/openai may include only base/, openai/ and connswap/v1/:"; echo "$hits"; status=1
fi
# src/http (sans-IO HTTP/1.1 + SSE) may include only base/ and itself among our modules.
if [ -d "$root/src/http" ] &&
  hits=$(grep -rnE '#include *"' "$root/src/http" | grep -vE '#include *"(base|http)/'); then
  echo "layering: src/http may include only base/ and http/:"; echo "$hits"; status=1
fi
# src/impair (the impairment relay's sans-IO logic) may include only base/ and itself.
if [ -d "$root/src/impair" ] &&
  hits=$(grep -rnE '#include *"' "$root/src/impair" | grep -vE '#include *"(base|impair)/'); then
  echo "layering: src/impair may include only base/ and impair/:"; echo "$hits"; status=1
fi
# Roles and lower layers never include the app layer.
if hits=$(grep -rnE '#include *"apps/' "$root/src"); then
  echo "layering: src/ includes apps/:"; echo "$hits"; status=1
fi
[ $status -eq 0 ] && echo "layering: ok (${#core_dirs[@]} core modules checked)"
exit $status
