#!/bin/bash
# The project's copy of shared/recipes/qemu-numa/qemu-numa-run.sh (proven on this machine kind).
# qemu-numa-run.sh [-n NODES] [-c CPUS] [-m MiB] [-t SECS] [-w RWDIR] -- cmd args...
# Runs cmd (in $PWD, as root) in a TCG guest with NODES NUMA nodes (one socket each) whose
# root is the host's / (virtio-9p read-only + tmpfs overlay). Exit: cmd's status, 124 timeout,
# 125 VM failure. Needs: apt-get install --no-install-recommends qemu-system-x86 busybox-static
set -euo pipefail
N=2 C=4 M=2048 T=3000 RWD=
while getopts n:c:m:t:w: o; do case $o in n) N=$OPTARG;; c) C=$OPTARG;; m) M=$OPTARG;;
  t) T=$OPTARG;; w) RWD=$(realpath "$OPTARG");; *) exit 125;; esac; done
shift $((OPTIND - 1))
W=${QN_WORK:-${TMPDIR:-/tmp}/qemu-numa-cache}; mkdir -p "$W"
MODS="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci 9pnet 9pnet_virtio netfs fscache 9p overlay"
if [ ! -s "$W/vmlinux" ]; then      # generic flavour: linux-image-cloud-amd64 has no 9p
  P=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  (cd "$W" && apt-get download -q "$P" 2>/dev/null)
  mkdir -p "$W/k"; dpkg-deb --fsys-tarfile "$W/${P}"_*.deb | tar -xC "$W/k" --wildcards \
    './boot/vmlinuz-*' './lib/modules/*/drivers/virtio/*' './lib/modules/*/net/9p/*' \
    './lib/modules/*/fs/9p/*' './lib/modules/*/fs/netfs/*' './lib/modules/*/fs/fscache/*' './lib/modules/*/fs/overlayfs/*'
  Z=$(ls "$W"/k/boot/vmlinuz-*); O=$(LC_ALL=C grep -m1 -obUaP '\xfd7zXZ\x00' "$Z" | cut -d: -f1)
  tail -c +$((O + 1)) "$Z" | xz -dc > "$W/vmlinux" 2>/dev/null || true   # ELF for PVH boot
  rm -f "$W"/*.deb
fi
if [ ! -s "$W/initrd.gz" ]; then
  I=$W/initrd; rm -rf "$I"; mkdir -p "$I"/{bin,mod,proc,sys,dev,newroot,lower,upper}
  cp /bin/busybox "$I/bin/"; for m in $MODS; do cp "$(find "$W/k" -name "$m.ko")" "$I/mod/"; done
  cat > "$I/init" <<EOF
#!/bin/busybox sh
/bin/busybox --install -s /bin; export PATH=/bin
mount -t proc p /proc; mount -t sysfs s /sys; mount -t devtmpfs d /dev
for m in $MODS; do insmod /mod/\$m.ko; done
O9=trans=virtio,version=9p2000.L,msize=512000; R=/newroot
mount -t 9p -o \$O9,ro,cache=loose hostroot /lower; mount -t tmpfs u /upper; mkdir /upper/u /upper/w
mount -t overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w o \$R
mount -t proc p \$R/proc; mount -t sysfs s \$R/sys; mount -t devtmpfs d \$R/dev; mount -t tmpfs r \$R/run
mkdir -p \$R/dev/shm \$R/dev/pts; mount -t tmpfs s \$R/dev/shm; mount -t devpts p \$R/dev/pts
mkdir -p \$R\$QN_OUT; mount -t 9p -o \$O9 hostout \$R\$QN_OUT
[ -n "\${QN_RW:-}" ] && mkdir -p \$R\$QN_RW && mount -t 9p -o \$O9 hostrw \$R\$QN_RW
ip link set lo up; hostname qemu-numa; : > \$R\$QN_OUT/started
chroot \$R /bin/bash \$QN_OUT/cmd.sh </dev/null 2>&1 | tee \$R\$QN_OUT/output.log
sync; umount \$R\$QN_OUT; poweroff -f
EOF
  chmod +x "$I/init"; (cd "$I" && find . | busybox cpio -o -H newc -R 0:0 2>/dev/null | gzip -1) > "$W/initrd.gz"
fi
RUN=$(mktemp -d "${TMPDIR:-/tmp}/qemu-numa-run.XXXXXX"); OUT=$RUN/out; mkdir "$OUT"
{ printf 'export HOME=/root PATH=%q\n( cd %q || exit 126; ' "$PATH" "$PWD"; printf '%q ' "$@"
  echo "); echo \$? > $OUT/rc"; } > "$OUT/cmd.sh"
A="console=ttyS0 loglevel=1 panic=-1 ${QN_APPEND:-} QN_OUT=$OUT"
Q=(-accel tcg,thread=${QN_TCG_THREAD:-single} -cpu max -m "${M}M" -smp "$C,sockets=$N,cores=$((C / N)),threads=1")
for ((i = 0; i < N; i++)); do Q+=(-object memory-backend-ram,id=m$i,size=$((M / N))M
  -numa node,nodeid=$i,cpus=$((i * C / N))-$(((i + 1) * C / N - 1)),memdev=m$i); done
for ((i = 0; i < N; i++)); do for ((j = i + 1; j < N; j++)); do   # after all nodes!
  Q+=(-numa dist,src=$i,dst=$j,val=20); done; done
V=security_model=none,multidevs=remap
Q+=(-virtfs local,path=/,mount_tag=hostroot,readonly=on,$V -virtfs "local,path=$OUT,mount_tag=hostout,$V")
[ -n "$RWD" ] && { Q+=(-virtfs "local,path=$RWD,mount_tag=hostrw,$V"); A+=" QN_RW=$RWD"; }
Q+=(-kernel "$W/vmlinux" -initrd "$W/initrd.gz" -append "$A" -display none -monitor none
  -nodefaults -no-reboot -chardev stdio,id=c0,signal=off -serial chardev:c0)
T0=$(date +%s.%N); set +e
timeout -k 10 "$T" qemu-system-x86_64 "${Q[@]}" </dev/null | tr -d '\r'; QRC=${PIPESTATUS[0]}; set -e
[ -e "$OUT/rc" ] && echo "qemu-numa-run: boot-to-command $(date -r "$OUT/started" +%s.%N) command-end \
$(date -r "$OUT/rc" +%s.%N) now $(date +%s.%N) start $T0" | awk '{printf "%s %.2fs, command %.2fs, total %.2fs\n",
$1" "$2, $3-$9, $5-$3, $7-$9}' >&2
if [ -s "$OUT/rc" ]; then RC=$(cat "$OUT/rc"); elif [ "$QRC" = 124 ]; then RC=124; else RC=125; fi
rm -rf "$RUN"; exit "$RC"
