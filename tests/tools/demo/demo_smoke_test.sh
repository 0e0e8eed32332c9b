#!/usr/bin/env bash
# tools/demo --smoke end to end on the binaries of this build: it must finish
# with a canonical inventory for both tenants and leave no process behind.
set -euo pipefail
root=$1 build=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$root/tools/demo" --smoke --build-dir "$build" --no-build >"$out" 2>&1 || { cat "$out"; exit 1; }
cat "$out"
work=$(sed -n 's/^demo: working in \([^ ]*\).*/\1/p' "$out")
[[ -n $work ]] || { echo "FAIL: the demo did not say where it worked"; exit 1; }
grep -q '^tenant acme: .* canonical devices' "$out" || { echo "FAIL: no canonical inventory for acme"; exit 1; }
grep -q '^tenant globex: 800 canonical devices' "$out" || { echo "FAIL: globex's inventory is not its 800 devices"; exit 1; }
grep -q ', 0 errors$' "$out" || { echo "FAIL: ingest errors"; exit 1; }
# Every source's first run, as its agent's heartbeat reported it.
for line in '^acme +armis-hq +armis +on acme-agent +ok +3,000 devices' \
            '^acme +lab-faker +faker +on acme-agent +ok +1,500 devices' \
            '^acme +netbox-dc +netbox +on acme-agent +ok ' \
            '^globex +globex-lab +faker +on globex-agent +ok +800 devices'; do
  grep -Eq "$line" "$out" || { echo "FAIL: no source line matching '$line'"; exit 1; }
done
grep -q 'was open to other users' "$out" && { echo "FAIL: the agent warned about a state dir it made itself"; exit 1; }
grep -q '^status page: *http://' "$out" || { echo "FAIL: no status page URL"; exit 1; }
grep -q 'demo-api-secret\|demo-netbox-token\|never-logged' "$out" && { echo "FAIL: a credential in the output"; exit 1; }
# Any process whose command line names the demo's directory is left behind
# (/proc directly: a minimal system has no pgrep).
left=()
for cmdline in /proc/[0-9]*/cmdline; do
  tr '\0' ' ' <"$cmdline" 2>/dev/null | grep -qF -- "$work" && left+=("${cmdline%/cmdline}")
done
if ((${#left[@]})); then
  echo "FAIL: processes left behind: ${left[*]}"; exit 1
fi
[[ ! -e $work ]] || { echo "FAIL: $work left behind"; exit 1; }
echo "demo smoke: ok"
