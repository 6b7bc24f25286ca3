#!/usr/bin/env bash
# Makes the real console logs of test/fixtures/console-logs/: boots the Debian cloud image
# (`lifeboat images build --debian`), broken in one way per variant, under plain QEMU and keeps
# the serial log. Needs root (debugfs/mtools edit a raw copy; no mounts), qemu-system-x86_64,
# e2fsprogs, mtools, genisoimage. Usage: make-console-fixtures.sh DEBIAN.qcow2 OUTDIR [variant...]
set -euo pipefail
image=$1; out=$2; shift 2
variants=${*:-good fstab-missing-device fstab-wrong-fstype root-missing no-initrd no-kernel root-full root-read-only sshd-config cloud-init-runcmd}
accel=${ACCEL:-tcg}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
qemu-img convert -O raw "$image" "$work/base.raw"
# The image's layout (src/virt/qemu/guest-image/debian-image.ts): p1 FAT (syslinux, kernel, initrd), p2 ext4 root.
boot_off=$(( $(sfdisk -d "$work/base.raw" | awk '/raw1 :/ {gsub(",","",$4); print $4}') * 512 ))
root_off=$(( $(sfdisk -d "$work/base.raw" | awk '/raw2 :/ {gsub(",","",$4); print $4}') * 512 ))

seed() { # NoCloud seed ISO with the given user-data
  mkdir -p "$work/seed"; printf 'instance-id: fixture-%s\nlocal-hostname: broken-%s\n' "$1" "$1" > "$work/seed/meta-data"
  printf '%s\n' "$2" > "$work/seed/user-data"
  genisoimage -quiet -o "$work/seed.iso" -V cidata -J -R "$work/seed/user-data" "$work/seed/meta-data"
}
put() { # put FILE-IN-ROOTFS CONTENT
  printf '%s\n' "$2" > "$work/put"
  debugfs -w -R "rm $1" "$work/disk.raw?offset=$root_off" >/dev/null 2>&1 || true
  debugfs -w -R "write $work/put $1" "$work/disk.raw?offset=$root_off" >/dev/null 2>&1
}
get() { debugfs -R "cat $1" "$work/disk.raw?offset=$root_off" 2>/dev/null; }
syslinux_cfg() { mtype -i "$work/disk.raw@@$boot_off" ::/syslinux.cfg; }
set_syslinux() { printf '%s\n' "$1" > "$work/sl.cfg"; mcopy -o -i "$work/disk.raw@@$boot_off" "$work/sl.cfg" ::/syslinux.cfg; }

boot() { # boot VARIANT STOP-REGEX TIMEOUT-S
  local log="$work/$1.log"; : > "$log"
  qemu-system-x86_64 -accel "$accel" -machine pc -m 1024 -smp 1 -nodefaults -display none -no-user-config \
    -serial "file:$log" -drive "file=$work/disk.raw,if=virtio,format=raw" \
    -drive "file=$work/seed.iso,media=cdrom,if=ide,readonly=on" \
    -netdev user,id=n0 -device virtio-net-pci,netdev=n0 -pidfile "$work/qemu.pid" -daemonize
  local t=0
  until grep -aEq "$2" "$log" || [ $t -ge "$3" ]; do sleep 2; t=$((t + 2)); done
  sleep 3; kill "$(cat "$work/qemu.pid")" || true; sleep 1
  # Drop terminal escape sequences and carriage returns: the fixture is the text a reader sees.
  sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r$//' -e 's/\r/\n/g' "$log" > "$out/$1.log"
  echo "$1: $(wc -l < "$out/$1.log") lines after ${t}s"
}

for v in $variants; do
  cp --sparse=always "$work/base.raw" "$work/disk.raw"
  seed "$v" '#cloud-config'
  stop='Cloud-init v\. .* finished'; limit=${LIMIT:-300}
  case $v in
    good) ;;
    fstab-missing-device) # a data disk that is not attached: systemd waits 90 s, then emergency mode
      put /etc/fstab "$(get /etc/fstab)
LABEL=data /srv/data ext4 defaults 0 2"; stop='emergency mode|Cannot open access to console'; limit=400 ;;
    fstab-wrong-fstype) # an existing device with the wrong type: the mount fails at once, emergency mode
      put /etc/fstab "$(get /etc/fstab)
/dev/vda1 /boot/efi ext4 defaults 0 2"; stop='emergency mode|Cannot open access to console'; limit=300 ;;
    root-missing) # root= names no device: initramfs gives up and drops to its shell
      set_syslinux "$(syslinux_cfg | sed 's#root=UUID=[^ ]*#root=/dev/nonexistent rootdelay=10#')"; stop='\(initramfs\)'; limit=200 ;;
    no-initrd) # no initramfs: the kernel cannot find root=UUID=… and panics
      set_syslinux "$(syslinux_cfg | grep -v INITRD)"; stop='Kernel panic|end Kernel panic'; limit=200 ;;
    no-kernel) # the boot loader's kernel is gone
      mdel -i "$work/disk.raw@@$boot_off" ::/vmlinuz; stop='Could not find kernel|boot:'; limit=40 ;;
    root-full) # the root filesystem has no free block left
      free=$(debugfs -R stats "$work/disk.raw?offset=$root_off" 2>/dev/null | awk -F: '/^Free blocks/ {print $2+0}')
      : > "$work/empty"; debugfs -w -R "write $work/empty /var/fill" "$work/disk.raw?offset=$root_off" >/dev/null 2>&1
      debugfs -w -R "fallocate /var/fill 0 $((free + 1000))" "$work/disk.raw?offset=$root_off" >/dev/null 2>&1 ;;
    root-read-only) # fstab mounts / read-only
      put /etc/fstab "$(get /etc/fstab | sed 's# / ext4 rw,# / ext4 ro,#')" ;;
    sshd-config) # a bad line in sshd_config: sshd -t fails, ssh.service does not start
      put /etc/ssh/sshd_config "$(get /etc/ssh/sshd_config)
PermitRootLogin maybe-not" ;;
    cloud-init-runcmd) # user data whose runcmd fails
      seed "$v" '#cloud-config
runcmd:
  - [sh, -c, "echo applying site config; test -f /etc/site.conf"]' ;;
  esac
  boot "$v" "$stop" "$limit"
done
