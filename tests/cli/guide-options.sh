#!/usr/bin/env bash
# guide-options.sh PLACERUN GUIDE: every long option placerun --help lists is in the guide
# (in backquotes), so that the guide's tables cannot fall behind the code again.
set -uo pipefail
PR=$1 GUIDE=$2
missing=()
for o in $("$PR" --help | grep -oE -- '(^|[ ,])--[a-z][a-z-]+' | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
  case $o in --of) continue ;; esac  # lstopo's option, named in placerun's help text
  grep -q -- "\`$o" "$GUIDE" || missing+=("$o")
done
[ ${#missing[@]} -eq 0 ] || { echo "FAIL: not in $(basename "$GUIDE"): ${missing[*]}"; exit 1; }
echo "ok: every option of placerun --help is in the guide"
