#!/usr/bin/env bash
# behaviour.sh PLACERUN FIXTURES CONFIGS: placerun's options behave as documented.
set -euo pipefail
pr=$1 fix=$2 configs=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
two='synthetic:pack:2 numa:2 core:4 pu:2'

# -np is -n
diff <("$pr" --plan --topology "$two" -np 4 -t 2) <("$pr" --plan --topology "$two" -n 4 -t 2) \
  || fail "-np and -n differ"

# JSON parses and carries the schema; -o writes the same bytes and leaves no temporary
"$pr" --plan --topology "$two" -n 4 --format json >"$tmp/stdout.json"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["schema"]=="place-plan/1"; assert len(d["ranks"])==4' "$tmp/stdout.json" \
  || fail "JSON plan does not parse or lacks schema/ranks"
"$pr" --plan --topology "$two" -n 4 --format json -o "$tmp/plan.json"
cmp "$tmp/stdout.json" "$tmp/plan.json" || fail "-o output differs from stdout"
[ "$(ls "$tmp" | wc -l)" -eq 2 ] || fail "-o left extra files: $(ls "$tmp")"

# --help documents every option the parser takes
help=$("$pr" --help)
for o in --plan --topology -np --nodes --ranks-per-node --threads --policy --smt \
         --reserve-cores --cpu-kinds --allowed --oversubscribe --format --output --version; do
  grep -q -- "$o" <<<"$help" || fail "--help does not mention $o"
done
"$pr" --version | grep -Eq '^placerun \(place\) [0-9]+\.[0-9]+' || fail "--version"

# the environment's described machine is used, and named as the source
HWLOC_XMLFILE="$fix/epyc-2s-nps4.xml" "$pr" --plan -n 8 | grep -q "topology xml:.*epyc-2s-nps4.xml: packages 2, NUMA nodes 8" \
  || fail "HWLOC_XMLFILE not honoured"
HWLOC_SYNTHETIC="pack:3 core:2 pu:1" "$pr" --plan | grep -q "packages 3" || fail "HWLOC_SYNTHETIC not honoured"

# --allowed keeps every rank inside the allowed PUs
out=$("$pr" --plan --topology "$two" --allowed 4-11 -n 2 --format json)
python3 -c '
import json,sys
d=json.loads(sys.argv[1])
def pus(s):
    r=set()
    for part in s.split(","):
        a,_,b=part.partition("-"); r.update(range(int(a),int(b or a)+1))
    return r
for rk in d["ranks"]:
    assert pus(rk["cpuset"]) <= set(range(4,12)), rk
assert d["topology"]["disallowed_pus"]=="0-3,12-31", d["topology"]["disallowed_pus"]
' "$out" || fail "--allowed not honoured"

# a native plan honours the process binding (taskset)
if command -v taskset >/dev/null && [ "$(nproc --all)" -ge 2 ]; then
  out=$(taskset -c 0 "$pr" --plan --format json)
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["ranks"][0]["cpuset"]=="0", d["ranks"][0]; assert d["topology"]["unbound_pus"]!=""' "$out" \
    || fail "native plan ignores the taskset binding"
fi
# configuration files: a profile applies, the command line overrides it, relative XML
# paths are the profile's, $PLACE_CONFIG and the user's file are read
export HOME=$tmp XDG_CONFIG_HOME=
j() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
[ "$("$pr" --plan --config "$configs/nodes/epyc-nps4.conf" -n 8 --format json | j 'd["topology"]["numa_nodes"]')" = 8 ] \
  || fail "--config topology not applied"
[ "$("$pr" --plan --config "$configs/nodes/epyc-nps4.conf" --policy compact -n 8 --format json | j 'd["request"]["policy"]')" = compact ] \
  || fail "the command line does not override the profile"
[ "$(PLACE_CONFIG="$configs/nodes/hybrid-pe.conf" "$pr" --plan -n 2 -t 4 --format json | j 'len(d["topology"]["cpukinds"])')" = 2 ] \
  || fail "PLACE_CONFIG / relative XML path not honoured"
mkdir -p "$tmp/.config/place"
printf '[placerun]\nreserve-cores = 1\n' > "$tmp/.config/place/placerun.conf"
[ "$("$pr" --plan --topology "synthetic:pack:2 core:4 pu:1" -n 2 --format json | j 'd["request"]["reserve_cores"]')" = 1 ] \
  || fail "the user's ~/.config/place/placerun.conf is not read"
[ "$("$pr" --plan --topology "synthetic:pack:2 core:4 pu:1" -n 2 --reserve-cores 0 --format json | j 'd["request"]["reserve_cores"]')" = 0 ] \
  || fail "the command line does not override the user's file"
for c in "$configs"/*.conf "$configs"/nodes/*.conf; do
  "$pr" --plan --config "$c" -n 1 > /dev/null || fail "shipped profile $c does not load"
done
echo "ok: placerun behaviour"
