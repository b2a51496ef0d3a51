#!/usr/bin/env bash
# two-users.sh BINDIR: a hostile second local user (nobody, uid 65534) against root's runs
# in a shared sticky directory (the test's own /tmp), with fs.protected_symlinks and
# fs.protected_regular set to 0 for the test and restored after. Every run must either work
# in its private directory or fail with one clear line, and no file outside the job's own
# may be written: the victim (a root-only file) must keep its content.
set -uo pipefail
bin=$1
[ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null || { echo "needs root and setpriv"; exit 77; }
T=$(mktemp -d)
chmod 1777 "$T"
sl=/proc/sys/fs/protected_symlinks rg=/proc/sys/fs/protected_regular
old_sl=$(cat $sl 2>/dev/null) old_rg=$(cat $rg 2>/dev/null)
restore() {
  [ -n "$old_sl" ] && echo "$old_sl" >$sl 2>/dev/null
  [ -n "$old_rg" ] && echo "$old_rg" >$rg 2>/dev/null
  pkill -KILL -u 65534 -f "$T/" 2>/dev/null
  rm -rf "$T"
}
trap restore EXIT
echo 0 >$sl 2>/dev/null && echo 0 >$rg 2>/dev/null || echo "note: the kernel's link protections could not be lowered; the attacks run with them"
export TMPDIR=$T OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1
unset PLACE_PLAN_DIR
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
victim=$T/victim
echo secret >"$victim"
chmod 600 "$victim"
fail() { echo "FAIL: $*"; exit 1; }
intact() { [ "$(cat "$victim")" = secret ] && [ "$(stat -c %U "$victim")" = root ] || fail "the victim was written: $1"; }
one_line() { # RC_WANTED REGEX OUTPUT
  [ "$(wc -l <<<"$3")" -eq 1 ] || fail "not one line: $3"
  grep -Eq -- "$2" <<<"$3" || fail "message '$3' lacks /$2/"
}
host=$(hostname)

# 1. root's private plan directory made first by the attacker, open to all, full of links:
#    root's runs are not blocked: a directory only root could make (a random name, found
#    again by the next run), said once, and nothing written through the attacker's names
unset XDG_RUNTIME_DIR
nobody sh -c "mkdir '$T/place-0' && chmod 777 '$T/place-0' && for j in \$(seq 1 400); do
  ln -s '$victim' \"$T/place-0/place-plan-pid\$j-node0-$host.json\"; done"
[ "$(ls "$T/place-0" | wc -l)" -eq 400 ] || fail "the spray did not take"
nobody mkdir -m 777 "$T/place-0.AAAAAA" # a fallback name of the attacker's own: passed over
plan=$("$bin/placerun" -t 1 -- sh -c 'echo "$PLACE_PLAN"' 2>"$T/err") || fail "the attacker's directory blocked root's run: $(cat "$T/err")"
case $plan in "$T/place-0."[A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9][A-Za-z0-9]/*) ;; *) fail "plan file in $plan" ;; esac
alt=${plan%/*}
[ "$alt" != "$T/place-0.AAAAAA" ] || fail "used the attacker's fallback name"
[ "$(stat -c '%a %U' "$alt")" = "700 root" ] || fail "fallback directory is $(stat -c '%a %U' "$alt")"
one_line 0 "^placerun: note: plan directory '$T/place-0': owned by uid 65534 with mode 777; expected a private directory of uid 0, mode 700 \(someone else made it first\?\): using '$alt' instead$" "$(cat "$T/err")"
plan2=$("$bin/placerun" -t 1 -- sh -c 'echo "$PLACE_PLAN"' 2>"$T/err") || fail "the second run"
[ "${plan2%/*}" = "$alt" ] || fail "the second run made another directory: $plan2"
[ ! -s "$T/err" ] || fail "said twice: $(cat "$T/err")"
[ "$(ls "$T" | grep -c '^place-0\.')" -eq 2 ] || fail "fallback directories: $(ls "$T" | grep '^place-0')"
intact "attack 1"
# ... and where the login session has a runtime directory, that one
mkdir -m 700 "$T/xdg"
plan=$(XDG_RUNTIME_DIR=$T/xdg "$bin/placerun" -t 1 -- sh -c 'echo "$PLACE_PLAN"' 2>"$T/err") || fail "with XDG_RUNTIME_DIR"
case $plan in "$T/xdg/place/"*) ;; *) fail "with XDG_RUNTIME_DIR the plan file is $plan" ;; esac
one_line 0 "using '$T/xdg/place' instead" "$(cat "$T/err")"
# under PLACE_PLAN_DIR, named by the user, the same is refused with one line instead
out=$(PLACE_PLAN_DIR=$T "$bin/placerun" -t 1 -- true 2>&1) && fail "ran in the attacker's directory under PLACE_PLAN_DIR"
one_line 1 "plan directory '$T/place-0': owned by uid 65534 with mode 777; expected a private directory of uid 0.*set PLACE_PLAN_DIR elsewhere" "$out"
intact "attack 1, PLACE_PLAN_DIR"

# 2. a link at root's private directory name, to a directory the attacker owns: the same
rm -rf "$T/place-0" "$alt"
nobody sh -c "mkdir '$T/trap' && ln -s '$T/trap' '$T/place-0'"
plan=$("$bin/placerun" -t 1 -- sh -c 'echo "$PLACE_PLAN"' 2>"$T/err") || fail "the attacker's link blocked root's run"
one_line 0 "^placerun: note: plan directory '$T/place-0': not a directory of its own .*: using '$T/place-0\.[A-Za-z0-9]{6}' instead$" "$(cat "$T/err")"
[ -z "$(ls -A "$T/trap")" ] || fail "root wrote into the attacker's directory"
rm -rf "${plan%/*}" "$T/place-0.AAAAAA"

# 3. the old predictable names sprayed as directories (2,000) and links: root's run works
rm -f "$T/place-0"
nobody sh -c "for j in \$(seq 1 2000); do mkdir \"$T/place-plan-ppid\$j-node0-$host.json\"; done;
  for j in \$(seq 1 200); do ln -s '$victim' \"$T/place-plan-pid\$j-node0-$host.json.tmp\"; done"
[ "$(ls "$T" | grep -c '^place-plan-')" -eq 2200 ] || fail "the spray did not take"
plan=$("$bin/placerun" -t 1 -- sh -c 'echo "$PLACE_PLAN"') || fail "root's run failed beside the spray"
case $plan in "$T/place-0/"*) ;; *) fail "plan file outside the private directory: $plan" ;; esac
[ "$(stat -c '%a %U' "$T/place-0")" = "700 root" ] || fail "private directory is $(stat -c '%a %U' "$T/place-0")"
intact "attack 3"

# 4. outputs through the attacker's links: refused before any work
nobody ln -s "$victim" "$T/plan.json"
out=$("$bin/placerun" --plan -o "$T/plan.json" 2>&1) && fail "-o followed a link"
one_line 1 "is a symbolic link" "$out"
nobody ln -s "$victim" "$T/report.json"
out=$("$bin/fdtd3d" --grid 8x8x8 --steps 2 --report "$T/report.json" 2>&1) && fail "--report followed a link"
one_line 1 "is a symbolic link" "$out"
nobody ln -s "$victim" "$T/mon.json"
"$bin/placerun" -t 1 --monitor "$T/mon.json" -- true 2>/dev/null
intact "attack 4"

# 5. a checkpoint directory made first by the attacker, writable by all
nobody mkdir -m 777 "$T/ck"
out=$("$bin/fdtd3d" --grid 8x8x8 --steps 2 --checkpoint-dir "$T/ck" 2>&1) && fail "checkpointed into the attacker's directory"
one_line 1 "owned by uid 65534 with mode 777" "$out"

# 6. a plan file forged by the attacker (a box outside the grid, a PU of 2^32 + 3, a
#    neighbour that is no rank) and handed to root's solver: refused, never used
for forged in '"box":{"lo":[0,0,0],"hi":[9,8,8]},"coords":[0,0,0],"neighbors":[null,null,null,null,null,null]' \
              '"box":{"lo":[0,0,0],"hi":[8,8,8]},"coords":[0,0,0],"neighbors":[null,7,null,null,null,null]'; do
  nobody sh -c "printf '%s' '{\"schema\":\"place-plan/1\",\"request\":{\"ranks\":1},\"grid\":{\"global\":[8,8,8],\"dims\":[1,1,1]},\"ranks\":[{\"rank\":0,\"node\":0,\"local_rank\":0,\"cpuset\":\"0\",\"numa\":[0],\"threads\":[{\"thread\":0,\"pu\":0}],$forged}]}' > '$T/forged.json'"
  out=$(PLACE_RANK=0 PLACE_SIZE=1 PLACE_NTHREADS=1 PLACE_CPUSET=0 PLACE_THREAD_PUS=0 PLACE_PLAN=$T/forged.json \
        "$bin/fdtd3d" --grid 8x8x8 --steps 2 2>&1) && fail "a forged plan was used: $out"
  one_line 2 "plan file '$T/forged.json': a (rank's box is empty or outside the grid|neighbour is not a rank of the job)" "$out"
  rm -f "$T/forged.json"
done
nobody sh -c "printf '%s' '{\"schema\":\"place-plan/1\",\"request\":{\"ranks\":1},\"ranks\":[{\"rank\":0,\"node\":0,\"local_rank\":0,\"cpuset\":\"0\",\"numa\":[0],\"threads\":[{\"thread\":0,\"pu\":4294967299}]}]}' > '$T/forged.json'"
out=$(PLACE_RANK=0 PLACE_SIZE=1 PLACE_NTHREADS=1 PLACE_CPUSET=0 PLACE_THREAD_PUS=0 PLACE_PLAN=$T/forged.json \
      "$bin/fdtd3d" --grid 8x8x8 --steps 2 2>&1) && fail "a forged PU was used: $out"
one_line 2 "a thread's pu is missing or outside its rank's cpuset" "$out"

# 8. outputs on the attacker's FIFO (with a reader waiting for them, and without one):
#    refused before any work, never blocking (fs.protected_fifos or not)
nobody mkfifo -m 666 "$T/out.fifo"
nobody sh -c "cat '$T/out.fifo' > '$T/stolen' 2>/dev/null" &
reader=$!
sleep 0.3
out=$(timeout 20 "$bin/placerun" --plan -o "$T/out.fifo" 2>&1)
st=$?
[ $st -ne 124 ] || fail "-o on the attacker's FIFO hung"
[ $st -ne 0 ] || fail "-o wrote to the attacker's FIFO"
one_line 1 "is a FIFO of another user \(uid 65534\); expected a regular file or a FIFO of yours" "$out"
out=$(timeout 20 "$bin/fdtd3d" --grid 8x8x8 --steps 2 --report "$T/out.fifo" 2>&1)
st=$?
[ $st -ne 124 ] || fail "fdtd3d --report on the attacker's FIFO hung"
[ $st -ne 0 ] || fail "fdtd3d wrote its report to the attacker's FIFO"
one_line 1 "is a FIFO of another user" "$out"
pkill -KILL -u 65534 -f "$T/out.fifo" 2>/dev/null
exec 3<>"$T/out.fifo" && exec 3>&- # a reader still blocked in open: it gets EOF
wait $reader 2>/dev/null
[ ! -s "$T/stolen" ] || fail "the attacker read root's output: $(head -c 200 "$T/stolen")"

# 9. the attacker's FIFO (no writer) as root's plan file or host file: refused at once,
#    not a wait for ever
nobody mkfifo -m 666 "$T/plan.fifo"
out=$(PLACE_RANK=0 PLACE_SIZE=1 PLACE_NTHREADS=1 PLACE_CPUSET=0 PLACE_THREAD_PUS=0 PLACE_PLAN=$T/plan.fifo \
      timeout 20 "$bin/fdtd3d" --grid 8x8x8 --steps 2 2>&1)
st=$?
[ $st -ne 124 ] || fail "a FIFO as PLACE_PLAN hung the solver"
[ $st -ne 0 ] || fail "a FIFO as PLACE_PLAN was read"
one_line 2 "plan file '$T/plan.fifo': a FIFO; expected a regular file" "$out"
out=$(timeout 20 "$bin/placerun" --plan --format rankfile --hostfile "$T/plan.fifo" 2>&1)
st=$?
[ $st -ne 124 ] || fail "a FIFO as --hostfile hung placerun"
one_line 2 "--hostfile '$T/plan.fifo': a FIFO; expected a regular file" "$out"

# 10. a forged plan whose two ranks' boxes overlap (each box inside the grid, each rank's
#     own checks pass): the boxes must tile the grid, so the solver refuses it
nobody sh -c "printf '%s' '{\"schema\":\"place-plan/1\",\"request\":{\"ranks\":2},\"grid\":{\"global\":[8,8,8],\"dims\":[2,1,1]},\"ranks\":[{\"rank\":0,\"node\":0,\"local_rank\":0,\"cpuset\":\"0\",\"numa\":[0],\"threads\":[{\"thread\":0,\"pu\":0}],\"box\":{\"lo\":[0,0,0],\"hi\":[6,8,8]},\"coords\":[0,0,0],\"neighbors\":[null,1,null,null,null,null]},{\"rank\":1,\"node\":0,\"local_rank\":1,\"cpuset\":\"0\",\"numa\":[0],\"threads\":[{\"thread\":0,\"pu\":0}],\"box\":{\"lo\":[2,0,0],\"hi\":[8,8,8]},\"coords\":[1,0,0],\"neighbors\":[0,null,null,null,null,null]}]}' > '$T/overlap.json'"
out=$(PLACE_RANK=0 PLACE_SIZE=2 PLACE_NTHREADS=1 PLACE_CPUSET=0 PLACE_THREAD_PUS=0 PLACE_PLAN=$T/overlap.json \
      "$bin/fdtd3d" --grid 8x8x8 --steps 2 2>&1) && fail "overlapping boxes were used: $out"
one_line 2 "plan file '$T/overlap.json': .*the boxes overlap or leave gaps: they do not tile the grid" "$out"

# 11. a restart from the attacker's directory, with root's own checkpoint directory: the
#     checks of --checkpoint-dir apply to --restart's directory too
mkdir -p "$T/root-ck"
nobody mkdir -m 777 "$T/their-ck"
nobody sh -c "echo '{\"schema\": \"fdtd3d-checkpoint/1\"}' > '$T/their-ck/MANIFEST'"
out=$("$bin/fdtd3d" --grid 8x8x8 --steps 4 --restart "$T/their-ck" --checkpoint-dir "$T/root-ck" 2>&1) &&
  fail "restarted from the attacker's directory"
one_line 1 "--restart '$T/their-ck': owned by uid 65534 with mode 777" "$out"

# 12. the attacker's own runs work in the attacker's own private directory
nobody "$bin/placerun" -t 1 -- true || fail "nobody's own run failed"
[ "$(stat -c '%a %U' "$T/place-65534")" = "700 nobody" ] || fail "nobody's private directory"
intact "the end"
echo "ok: 12 attacks by a second user: every run in its private directory (or one made in its place, said) or one line; the victim intact"
