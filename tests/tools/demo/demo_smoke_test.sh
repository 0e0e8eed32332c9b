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
