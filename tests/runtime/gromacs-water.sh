#!/usr/bin/env bash
# gromacs-water.sh DIR: a box of SPC/E water (2.5 nm, about 1,500 molecules, OPLS-AA from
# Debian's gromacs-data) prepared for mdrun in DIR/water.tpr: PME, 2 fs steps, no output
# beyond the log. For placerun --pin-threads tests and scripts/bench-gromacs.sh.
set -euo pipefail
cd "$1"
gmx -quiet solvate -cs spc216.gro -box 2.5 2.5 2.5 -o water.gro >solvate.log 2>&1
n=$(grep -c "OW" water.gro)
cat >topol.top <<EOF
#include "oplsaa.ff/forcefield.itp"
#include "oplsaa.ff/spce.itp"
[ system ]
water
[ molecules ]
SOL $n
EOF
cat >md.mdp <<'EOF'
integrator = md
dt = 0.002
nsteps = 2000
cutoff-scheme = Verlet
coulombtype = PME
rcoulomb = 1.0
rvdw = 1.0
tcoupl = v-rescale
tc-grps = System
tau-t = 0.1
ref-t = 300
constraints = h-bonds
nstxout-compressed = 0
nstenergy = 0
nstlog = 0
EOF
gmx -quiet grompp -f md.mdp -c water.gro -p topol.top -o water.tpr -maxwarn 2 >grompp.log 2>&1
echo "water.tpr: $n waters"
