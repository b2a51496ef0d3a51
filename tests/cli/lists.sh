#!/usr/bin/env bash
# lists.sh PLACERUN NOISEBENCH MANPAGE: the names options take come from one table each, and
# every message and page that lists them follows it: placerun --list formats|policies|noise
# against the errors of --format, --policy and noisebench's --inject, and every long option
# of placerun --help against the man page (as cli.guide_lists_every_option does the guide).
set -uo pipefail
PR=$1 NB=$2 MAN=$3
fail() { echo "FAIL: $*"; exit 1; }
check() { # WHAT ERRCMD...: every name of --list WHAT in the one-line error of ERRCMD
  local what=$1; shift
  local names err
  names=$("$PR" --list "$what") || fail "--list $what"
  [ -n "$names" ] || fail "--list $what is empty"
  err=$("$@" 2>&1 >/dev/null)
  for n in $names; do
    grep -qw -- "$n" <<<"$err" || fail "'$n' (placerun --list $what) missing from: $err"
  done
  echo "ok: $(wc -w <<<"$names") $what, each named by: $err"
}
check formats "$PR" --plan --format yaml
check policies "$PR" --plan --policy fast
check noise "$NB" --inject bogus
missing=()
for o in $("$PR" --help | grep -oE -- '(^|[ ,])--[a-z][a-z-]+' | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
  case $o in --of) continue ;; esac # lstopo's option, named in the help text
  grep -q -- "$(sed 's/-/\\\\-/g' <<<"$o")" "$MAN" || missing+=("$o")
done
[ ${#missing[@]} -eq 0 ] || fail "not in $(basename "$MAN"): ${missing[*]}"
echo "ok: every option of placerun --help is in $(basename "$MAN")"
