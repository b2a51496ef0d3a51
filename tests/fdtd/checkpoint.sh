#!/usr/bin/env bash
# checkpoint.sh BINDIR MODE [ARGS]: fdtd3d's checkpoint/restart guarantees.
#   restart PREC   a run restarted from checkpoints at several steps (1 rank and 2 ranks,
#                  and a chain of three runs) writes probe and energy rows identical to the
#                  last bit to an uninterrupted run's, all of them from step 1 (each
#                  checkpoint keeps the rows so far); each checkpoint replaces the last
#   kill TRIALS    SIGKILL to every process of the job at a random moment of a run that
#                  checkpoints every step (so most kills land inside a write); the
#                  checkpoint left behind restarts and gives the whole series, identical,
#                  every time
#   sigterm        SIGTERM (to the process, or to one rank of two), SIGUSR1 and SIGXCPU
#                  write a final checkpoint, exit 0, and the restart completes the run
#                  identically
#   sigterm_without_dir  SIGTERM, SIGUSR1, SIGUSR2, SIGXCPU, SIGALRM without a checkpoint
#                  directory leave no temporaries
#   moved_dir      a link on the checkpoint directory's path swapped mid-run (to another
#                  user's directory) does not move the checkpoints: they stay in the
#                  directory the run opened
#   failed_rank    a checkpoint failed on one rank leaves no file of the others
#   refuse CASE    a corrupt or mismatched checkpoint is refused with one line, exit 2,
#                  and the checkpoint directory is left as it was
set -uo pipefail
bin=$1 mode=$2
shift 2
tmp=$(mktemp -d)
trap 'pkill -KILL -f "$tmp/" 2>/dev/null; rm -rf "$tmp"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
F=$bin/fdtd3d
fail() { echo "FAIL: $*"; exit 1; }
mpi2() { mpirun -np 2 -x OMP_NUM_THREADS=1 "$@"; }
rows() { grep -v '^#' "$1" | tail -n +2; } # data rows of a CSV: step,...
# rows_range FILE A B: rows of steps A..B
rows_range() { rows "$1" | awk -F, -v a="$2" -v b="$3" '$1 >= a && $1 <= b'; }
manifest_step() { sed -n 's/^ "step": \([0-9]*\),$/\1/p' "$1/MANIFEST"; }

case $mode in
restart)
  prec=$1
  a=(--grid 24x20x16 --steps 240 --source 5,6,7 --probe 18,14,3 --probe 12,10,8 --precision "$prec"
     --energy-every 10)
  for launch in one two; do
    L=(); [ $launch = two ] && L=(mpirun -np 2 -x OMP_NUM_THREADS=1)
    "${L[@]}" "$F" "${a[@]}" --probe-out "$tmp/ref.csv" --energy-out "$tmp/refE.csv" >/dev/null ||
      fail "reference run ($launch)"
    [ "$(rows "$tmp/ref.csv" | wc -l)" -eq 240 ] || fail "reference has not 240 rows"
    for S in 1 37 120 239; do
      d=$tmp/ck-$launch-$S
      "${L[@]}" "$F" "${a[@]/240/$S}" --checkpoint-dir "$d" --checkpoint-every "$S" --energy-out /dev/null >/dev/null ||
        fail "checkpoint run to $S ($launch)"
      [ "$(manifest_step "$d")" = "$S" ] || fail "MANIFEST of $d does not say step $S"
      "${L[@]}" "$F" "${a[@]}" --restart "$d" --probe-out "$tmp/r.csv" --energy-out "$tmp/rE.csv" >/dev/null 2>"$tmp/r.err" ||
        fail "restart from $S ($launch)"
      [ ! -s "$tmp/r.err" ] || fail "restart from $S said: $(cat "$tmp/r.err")"
      cmp -s <(rows "$tmp/ref.csv") <(rows "$tmp/r.csv") ||
        fail "probe rows after a restart from step $S differ from the uninterrupted run's ($launch, $prec)"
      cmp -s <(rows "$tmp/refE.csv") <(rows "$tmp/rE.csv") ||
        fail "energy rows after a restart from step $S differ ($launch, $prec)"
    done
    # a chain: 1..60 (checkpoints every 20), 61..150 (every 30), 151..240; each run's rows
    # are the uninterrupted run's up to its last step, and each directory keeps only its
    # last checkpoint (a rank file per rank and the rows)
    d=$tmp/chain-$launch
    "${L[@]}" "$F" "${a[@]/240/60}" --checkpoint-dir "$d" --checkpoint-every 20 --probe-out "$tmp/c1.csv" >/dev/null &&
    "${L[@]}" "$F" "${a[@]/240/150}" --restart "$d" --checkpoint-every 30 --probe-out "$tmp/c2.csv" >/dev/null &&
    "${L[@]}" "$F" "${a[@]}" --restart "$d" --probe-out "$tmp/c3.csv" >/dev/null || fail "chain ($launch)"
    cmp -s <(rows_range "$tmp/ref.csv" 1 60) <(rows "$tmp/c1.csv") &&
      cmp -s <(rows_range "$tmp/ref.csv" 1 150) <(rows "$tmp/c2.csv") &&
      cmp -s <(rows "$tmp/ref.csv") <(rows "$tmp/c3.csv") ||
      fail "a chain of three runs differs from the uninterrupted run ($launch, $prec)"
    nfiles=$(ls "$d" | grep -c '\.bin$')
    [ "$nfiles" -eq $([ $launch = two ] && echo 3 || echo 2) ] || fail "old checkpoint files kept: $(ls "$d")"
    [ "$(manifest_step "$d")" = 150 ] || fail "chain MANIFEST not at step 150"
  done
  echo "ok: $prec restarts from steps 1, 37, 120, 239 and a 3-run chain write the uninterrupted run's whole series (1 and 2 ranks)"
  ;;
kill)
  trials=${1:-24}
  N=600
  a=(--grid 48x48x48 --steps $N --probe 20,20,20 --probe 40,7,30 --precision double)
  "$F" "${a[@]}" --probe-out "$tmp/ref1.csv" >/dev/null || fail "reference run (1 rank)"
  mpi2 "$F" "${a[@]}" --probe-out "$tmp/ref2.csv" >/dev/null || fail "reference run (2 ranks)"
  cmp -s "$tmp/ref1.csv" "$tmp/ref2.csv" || fail "1 and 2 ranks differ"
  ok=0 midwrite=0 finished=0 early=0
  for ((i = 1; i <= trials; i++)); do
    d=$tmp/kill-ck-$i
    L=(); [ $((i % 2)) -eq 0 ] && L=(mpirun -np 2 -x OMP_NUM_THREADS=1)
    "${L[@]}" "$F" "${a[@]}" --checkpoint-dir "$d" --checkpoint-every 1 >/dev/null 2>&1 &
    job=$!
    sleep "$(awk -v s="$RANDOM" 'BEGIN { printf "%.3f", 0.6 + 2.2 * s / 32767 }')"
    pkill -KILL -f "$d" # every process of the job at once: mpirun and its ranks
    wait $job 2>/dev/null
    st=$?
    if [ $st -eq 0 ]; then finished=$((finished + 1)); continue; fi
    [ -f "$d/MANIFEST" ] || { early=$((early + 1)); continue; } # killed before the first checkpoint
    ls "$d" | grep -qE '\.tmp\.[A-Za-z0-9]{6}$' && midwrite=$((midwrite + 1))
    S=$(manifest_step "$d")
    "${L[@]}" "$F" "${a[@]}" --restart "$d" --probe-out "$tmp/k.csv" >"$tmp/k.log" 2>&1 ||
      { cat "$tmp/k.log"; fail "trial $i: the checkpoint left by SIGKILL (step $S) was refused"; }
    cmp -s <(rows "$tmp/ref1.csv") <(rows "$tmp/k.csv") ||
      fail "trial $i: restart from step $S after SIGKILL: not the uninterrupted run's $N rows"
    ok=$((ok + 1))
  done
  echo "kill trials: $trials; restarted identically: $ok; killed inside a write (a .tmp left): $midwrite;" \
       "finished before the kill: $finished; killed before the first checkpoint: $early; corrupt restarts: 0"
  [ $ok -ge $((trials * 3 / 4)) ] || fail "too few trials reached a checkpoint ($ok of $trials)"
  [ $midwrite -ge 1 ] || fail "no kill landed inside a checkpoint write; the test did not test that"
  ;;
sigterm)
  a=(--grid 48x48x48 --probe 20,20,20 --probe 40,7,30)
  for launch in one two usr1 xcpu; do
    d=$tmp/term-$launch
    L=(); [ $launch = two ] && L=(mpirun -np 2 -x OMP_NUM_THREADS=1)
    sig=TERM; [ $launch = usr1 ] && sig=USR1; [ $launch = xcpu ] && sig=XCPU
    "${L[@]}" "$F" "${a[@]}" --steps 1000000 --checkpoint-dir "$d" --probe-out "$tmp/t1.csv" >"$tmp/t.out" 2>"$tmp/t.err" &
    job=$!
    sleep 2
    if [ $launch != two ]; then
      kill -$sig $job
    else # Slurm signals every task; the hard case is a signal that reaches one rank only
      pid=$(pgrep -f "^$F .*$d" | tail -1)
      [ -n "$pid" ] || fail "no rank process found"
      kill -TERM "$pid"
    fi
    wait $job
    st=$?
    [ $st -eq 0 ] || { cat "$tmp/t.err"; fail "SIG$sig ($launch): exit $st, expected 0"; }
    grep -q "^fdtd3d: .* after step [0-9]* of 1000000: checkpoint in '$d'; resume with --restart $d" "$tmp/t.err" ||
      { cat "$tmp/t.err"; fail "no stop message ($launch)"; }
    S=$(manifest_step "$d")
    [ -n "$S" ] && [ "$S" -gt 0 ] || fail "no final checkpoint ($launch)"
    [ "$(rows "$tmp/t1.csv" | tail -1 | cut -d, -f1)" = "$S" ] || fail "probe rows do not end at the checkpoint step $S"
    "${L[@]}" "$F" "${a[@]}" --steps $((S + 50)) --restart "$d" --probe-out "$tmp/t2.csv" >/dev/null ||
      fail "restart after SIG$sig ($launch)"
    "${L[@]}" "$F" "${a[@]}" --steps $((S + 50)) --probe-out "$tmp/tref.csv" >/dev/null || fail "reference"
    cmp -s <(rows_range "$tmp/tref.csv" 1 "$S") <(rows "$tmp/t1.csv") && cmp -s <(rows "$tmp/tref.csv") <(rows "$tmp/t2.csv") ||
      fail "SIG$sig at step $S then restart differs from the uninterrupted run ($launch)"
    echo "ok: SIG$sig ($launch) stopped at step $S with a checkpoint; the restart wrote the whole run identically"
  done
  ;;
moved_dir)
  # the run opens D through a link; mid-run the link is pointed at the attacker's directory
  a=(--grid 16x16x12 --probe 3,3,3 --steps 20000)
  mkdir -m 700 "$tmp/mine"
  mkdir -m 777 "$tmp/theirs"
  ln -s "$tmp/mine" "$tmp/link"
  "$F" "${a[@]}" --checkpoint-dir "$tmp/link/ck" --checkpoint-every 50 >/dev/null 2>"$tmp/err" &
  job=$!
  for _ in $(seq 200); do [ -f "$tmp/mine/ck/MANIFEST" ] && break; sleep 0.05; done
  [ -f "$tmp/mine/ck/MANIFEST" ] || fail "no first checkpoint"
  mkdir -m 777 "$tmp/theirs/ck"
  ln -sfn "$tmp/theirs" "$tmp/link"
  wait $job || { cat "$tmp/err"; fail "the run failed after the swap"; }
  [ -z "$(ls -A "$tmp/theirs/ck")" ] || fail "checkpoints went to the swapped-in directory: $(ls -A "$tmp/theirs/ck")"
  [ "$(manifest_step "$tmp/mine/ck")" = 20000 ] || fail "the opened directory's MANIFEST is not at step 20000: $(manifest_step "$tmp/mine/ck")"
  echo "ok: the link swapped mid-run; all checkpoints stayed in the directory the run opened"
  ;;
sigterm_without_dir)
  # without a checkpoint directory SIGTERM ends the run (status 143, or mpirun's failure)
  # and takes the outputs' temporaries with it: nothing half-written is left
  for launch in one two; do
    o=$tmp/out-$launch
    mkdir -p "$o"
    L=(); [ $launch = two ] && L=(mpirun -np 2 -x OMP_NUM_THREADS=1)
    "${L[@]}" "$F" --grid 48x48x48 --probe 20,20,20 --steps 1000000 --probe-out "$o/p.csv" \
      --energy-out "$o/e.csv" --report "$o/r.json" >/dev/null 2>"$tmp/t.err" &
    job=$!
    for _ in $(seq 100); do [ "$(ls -A "$o" | wc -l)" -ge 3 ] && break; sleep 0.1; done
    [ "$(ls -A "$o" | wc -l)" -ge 3 ] || fail "the outputs' temporaries never appeared ($launch)"
    sleep 0.5
    kill -TERM $job
    wait $job
    st=$?
    [ $st -ne 0 ] || fail "SIGTERM without a checkpoint directory: exit 0 ($launch)"
    [ -z "$(ls -A "$o")" ] || fail "left behind after SIGTERM ($launch): $(ls -A "$o")"
    echo "ok: SIGTERM ($launch, exit $st) left nothing in the output directory"
  done
  # the other signals whose default ends a process (sbatch --signal's SIGUSR1, the CPU-time
  # limit's SIGXCPU, SIGALRM): the same, without a checkpoint directory (SIGQUIT and SIGINT are
  # ignored by a non-interactive shell's background jobs)
  for sig in USR1 USR2 XCPU ALRM; do
    o=$tmp/out-$sig
    mkdir -p "$o"
    "$F" --grid 48x48x48 --probe 20,20,20 --steps 1000000 --probe-out "$o/p.csv" \
      --energy-out "$o/e.csv" --report "$o/r.json" >/dev/null 2>"$tmp/t.err" &
    job=$!
    for _ in $(seq 100); do [ "$(ls -A "$o" | wc -l)" -ge 3 ] && break; sleep 0.1; done
    [ "$(ls -A "$o" | wc -l)" -ge 3 ] || fail "the outputs' temporaries never appeared (SIG$sig)"
    sleep 0.3
    kill -$sig $job
    wait $job
    st=$?
    [ $st -ne 0 ] || fail "SIG$sig without a checkpoint directory: exit 0"
    [ -z "$(ls -A "$o")" ] || fail "left behind after SIG$sig: $(ls -A "$o")"
    echo "ok: SIG$sig (exit $st) left nothing in the output directory"
  done
  ;;
failed_rank)
  # a checkpoint that fails on one rank of two (its file's name is taken by a directory)
  # leaves no file of that step from the other rank; the run goes on and says so
  d=$tmp/ck
  mkdir -p "$d/step-0000000012.rank-000001.bin"
  mpi2 "$F" --grid 16x16x12 --probe 3,3,3 --steps 14 --checkpoint-dir "$d" --checkpoint-every 12 \
    >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; fail "the run stopped"; }
  grep -q "^fdtd3d: .*step-0000000012.rank-000001.bin.*the previous checkpoint stays" "$tmp/err" ||
    { cat "$tmp/err"; fail "the failure was not said"; }
  [ ! -e "$d/step-0000000012.rank-000000.bin" ] || fail "rank 0's file of the failed step was left"
  [ ! -e "$d/MANIFEST" ] || fail "a manifest for a failed checkpoint"
  left=$(ls -A "$d" | grep -v -e '^\.lock$' -e '^step-0000000012.rank-000001.bin$')
  [ -z "$left" ] || fail "left in the checkpoint directory: $left"
  echo "ok: a checkpoint failed on rank 1 left no file of rank 0: $(grep '^fdtd3d:' "$tmp/err")"
  ;;
refuse)
  case_=$1
  a=(--grid 16x16x12 --probe 3,3,3)
  d=$tmp/ck
  mpi2 "$F" "${a[@]}" --steps 12 --checkpoint-dir "$d" --checkpoint-every 12 >/dev/null || fail "making the checkpoint"
  f1=$d/step-0000000012.rank-000001.bin
  run=(mpi2 "$F" "${a[@]}" --steps 40 --restart "$d")
  case $case_ in
  flipped_field_byte) printf '\x55' | dd of="$f1" bs=1 seek=4000 conv=notrunc status=none
                      want="field data is corrupt (CRC-32 mismatch)" ;;
  flipped_header_byte) printf '\x55' | dd of="$f1" bs=1 seek=20 conv=notrunc status=none
                       want="header is corrupt or not an fdtd3d checkpoint" ;;
  truncated_file) truncate -s 5000 "$f1"; want="is 5000 bytes, expected .*: truncated or padded" ;;
  missing_rank_file) rm "$f1"; want="cannot open: No such file or directory; the checkpoint is incomplete" ;;
  manifest_not_json) printf '{"schema": "fdtd3d-checkpoint/1", "step": ' >"$d/MANIFEST"; want="MANIFEST is corrupt" ;;
  manifest_other_schema) sed -i 's/fdtd3d-checkpoint\/1/something-else\/7/' "$d/MANIFEST"
                         want="MANIFEST is corrupt or not fdtd3d-checkpoint/1" ;;
  manifest_wrong_crc) sed -i '0,/"crc32": "[0-9a-f]*"/s//"crc32": "00000000"/' "$d/MANIFEST"
                      want="does not match MANIFEST" ;;
  other_grid) run=(mpi2 "$F" --grid 16x16x14 --probe 3,3,3 --steps 40 --restart "$d")
              want="checkpoint of grid 16x16x12, this run has --grid 16x16x14; restart with the same grid" ;;
  other_rank_count) run=("$F" "${a[@]}" --steps 40 --restart "$d")
                    want="checkpoint of 2 ranks, this run has 1; restart with 2 ranks" ;;
  other_precision) run+=(--precision double)
                   want="checkpoint in single precision, this run double; restart with --precision single" ;;
  other_courant) run+=(--courant 0.5); want="checkpoint of another run" ;;
  steps_not_beyond) run=(mpi2 "$F" "${a[@]}" --steps 12 --restart "$d")
                    want="checkpoint is at step 12, --steps 12 leaves nothing to run" ;;
  restart_dir_open_to_others) chmod 777 "$d"; run+=(--checkpoint-dir "$tmp/elsewhere")
                              want="owned by uid [0-9]* with mode 777; expected a directory of uid" ;;
  rows_flipped_byte) printf '\x55' | dd of="$d/step-0000000012.rows.bin" bs=1 seek=50 conv=notrunc status=none
                     want="rows are corrupt (CRC-32 mismatch)" ;;
  rows_missing) rm "$d/step-0000000012.rows.bin"; want="step-0000000012.rows.bin: cannot open: No such file or directory; the checkpoint is incomplete" ;;
  no_checkpoint) run=(mpi2 "$F" "${a[@]}" --steps 40 --restart "$tmp/nothing-here")
                 want="no checkpoint there (MANIFEST: No such file or directory)" ;;
  *) fail "unknown case $case_" ;;
  esac
  before=$(cd "$d" 2>/dev/null && ls -l --time-style=+%s.%N; cat "$d"/* 2>/dev/null | md5sum)
  "${run[@]}" --probe-out "$tmp/p.csv" >"$tmp/out" 2>"$tmp/err"
  st=$?
  after=$(cd "$d" 2>/dev/null && ls -l --time-style=+%s.%N; cat "$d"/* 2>/dev/null | md5sum)
  lines=$(grep -c '^fdtd3d:' "$tmp/err")
  [ $st -ne 0 ] || fail "$case_: accepted (exit 0)"
  grep -q "^fdtd3d: --restart .*$want" "$tmp/err" || { cat "$tmp/err"; fail "$case_: message does not say: $want"; }
  [ "$lines" -eq 1 ] || { cat "$tmp/err"; fail "$case_: $lines fdtd3d lines, expected one"; }
  [ ! -e "$tmp/p.csv" ] || fail "$case_: a probe file was written"
  [ "$before" = "$after" ] || fail "$case_: the checkpoint directory was changed"
  echo "ok: $case_ refused: $(grep '^fdtd3d:' "$tmp/err")"
  ;;
*) fail "unknown mode $mode" ;;
esac
