#!/usr/bin/env bash
# guide-examples.sh BINDIR SOURCE_DIR: every dry-run example of docs/guide.md runs as it is
# printed: the indented lines that start with `placerun --plan`, `lstopo-no-graphics`,
# `HWLOC_XMLFILE=` or a variable assignment, in order, in one shell, in a directory that
# holds the source's configs/ (the described machines the guide names). Each must exit 0
# and print something (or write the file it names).
set -uo pipefail
bin=$(cd "$1" && pwd) src=$(cd "$2" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ln -s "$src/configs" "$tmp/configs"
export PATH="$bin:$PATH"
unset CUDA_VISIBLE_DEVICES ROCR_VISIBLE_DEVICES HIP_VISIBLE_DEVICES SLURM_STEP_GPUS SLURM_JOB_ID
n=0
script=$tmp/examples.sh
: >"$script"
while IFS= read -r line; do
  case $line in
  "    placerun --plan"*|"    lstopo-no-graphics "*|"    HWLOC_XMLFILE="*|"    "[A-Z]=*)
    cmd=${line#    }
    cmd=${cmd%%  #*}                                 # the comment after the command
    cmd=${cmd%"${cmd##*[! ]}"}                      # and the blanks before it
    n=$((n + 1))
    printf 'echo "+ %s" >&2\nif ! ( %s ) >"$T/out" 2>"$T/err"; then echo "FAIL: %s"; cat "$T/err"; exit 1; fi\n' \
      "${cmd//\"/\\\"}" "$cmd" "${cmd//\"/\\\"}" >>"$script"
    case $cmd in
    [A-Z]=*) printf '%s\n' "$cmd" >>"$script" ;;  # the assignment in the shell itself
    *" -o "*|*"--of xml"*|*" > "*) ;;              # writes a file: checked below by its name
    *) printf '[ -s "$T/out" ] || { echo "FAIL: no output: %s"; exit 1; }\n' "${cmd//\"/\\\"}" >>"$script" ;;
    esac
    ;;
  esac
done <"$src/docs/guide.md"
[ $n -ge 12 ] || { echo "FAIL: only $n examples found in docs/guide.md"; exit 1; }
cd "$tmp" && T=$tmp bash "$script" || exit 1
for f in node.xml plan.png rf rf.sh; do
  [ -s "$tmp/$f" ] || { echo "FAIL: an example should have written $f"; exit 1; }
done
echo "ok: the $n dry-run examples of docs/guide.md run as printed"
