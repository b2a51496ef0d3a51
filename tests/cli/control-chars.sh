#!/usr/bin/env bash
# control-chars.sh PLACERUN: an option value with an escape sequence and a tab comes back in
# the one-line error without any control character (it could rewrite the user's terminal).
set -uo pipefail
pr=$1
err=$("$pr" --plan --policy "$(printf '\033[31mred\tx')" 2>&1 >/dev/null)
[ $? -ne 0 ] || { echo "FAIL: accepted"; exit 1; }
if printf '%s' "$err" | LC_ALL=C grep -q '[[:cntrl:]]'; then
  echo "FAIL: control characters in: $(printf '%s' "$err" | od -c | head -3)"; exit 1
fi
grep -q "^placerun: --policy '?\[31mred x': unknown" <<<"$err" || { echo "FAIL: message: $err"; exit 1; }
echo "ok: $err"
