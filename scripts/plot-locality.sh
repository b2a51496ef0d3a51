#!/usr/bin/env bash
# plot-locality.sh [DIR]: the page-locality plot from scripts/firsttouch-demo.sh's output
# (default results/memory): DIR/page-locality.png, for the QEMU guests with 2 and 4 NUMA
# nodes, the pages of a 256 MiB array on each node after first touch by the owning
# threads, after a one-thread initialisation, and after place_migrate_parts repaired it,
# with the local fraction (move_pages, place_locality_query) over each bar group.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=$(cd "${1:-$root/results/memory}" && pwd)
cd "$dir"
for n in 2 4; do
  f=firsttouch-qemu-${n}nodes.txt
  [ -s "$f" ] || { echo "plot-locality: $dir/$f missing; run scripts/firsttouch-demo.sh first" >&2; exit 1; }
  # case  local%  pages on node 0..3 (as the demo printed them)
  awk -v n="$n" '
    /^(first touch|one thread|repaired)/ {
      name = $1 == "first" ? "first touch" : $1 == "one" ? "one-thread init" : "repaired"
      for (i = 1; i <= NF; i++) if ($i == "local") loc = $(i + 1)
      sub(/%/, "", loc)
      for (k = 0; k < 4; k++) pg[k] = 0
      for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+:[0-9]+$/) { split($i, a, ":"); pg[a[1]] = a[2] }
      printf "\"%s\" %s %d %d %d %d\n", name, loc, pg[0], pg[1], pg[2], pg[3]
    }' "$f" > "locality-${n}nodes.dat"
  [ "$(wc -l < "locality-${n}nodes.dat")" -eq 3 ] || { echo "plot-locality: $f: expected 3 cases" >&2; exit 1; }
done
gnuplot <<'GP'
set terminal pngcairo size 1000,460 font ",10" noenhanced
set output "page-locality.png"
set multiplot layout 1,2 title "page locality of a 256 MiB array, 4 threads (QEMU guest; firsttouch --repair)"
set style data histograms
set style histogram rowstacked
set style fill solid 0.85 border -1
set boxwidth 0.6
set ylabel "pages (4 KiB)"
set yrange [0:80000]
set key top left horizontal
set grid ytics
do for [n in "2 4"] {
  set title sprintf("%s NUMA nodes: pages per node, local fraction above", n)
  f = sprintf("locality-%snodes.dat", n)
  plot for [k=0:(n+0)-1] f u (column(3+k)):xtic(1) t sprintf("node %d", k), \
       f u ($0):(column(3)+column(4)+column(5)+column(6)):(sprintf("%.0f%% local", column(2))) w labels offset 0,1 notitle
}
unset multiplot
GP
echo "plot-locality: $dir/page-locality.png"
