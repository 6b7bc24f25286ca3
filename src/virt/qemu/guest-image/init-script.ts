import { GUEST_SSH_FUNCTIONS } from './guest-ssh.js'

/**
 * The `/init` of the test guest and rescue images (busybox sh). Kernel
 * parameters choose its behaviour:
 * - `lb.role=guest|rescue`: printed in the marker lines and passed to the
 *   config drive's `user_data` (run as a shell script, after the disks and
 *   their marker files are listed) as `LB_ROLE`;
 * - `lb.label=LABEL`: the filesystem label of the image's own boot partition;
 *   the init waits (up to `lb.wait` tenths of a second, default 60) until it is
 *   visible, because USB disks show up a second or two after the drivers load.
 *
 * Console lines (one fact each, for tests to match):
 * `LB-MARKER-BOOTED role=… kernel=…`, `LB-DISK <name> size=<sectors> ro=<0|1> path=<sysfs>`,
 * `LB-FS <dev> type=… label=…`, `LB-FILE <dev> <file> <first line>`,
 * `LB-USERDATA start|rc=N`, `LB-MARKER-DONE role=…`, `LB-POWERDOWN`.
 *
 * Networking and SSH (guest-ssh.ts): after the disks are listed, DHCP on
 * every NIC, the config drive's `public_keys` for root, dropbear on port 22
 * (`lifeboat-guest: …` lines); `/run/lifeboat-role` holds the role.
 *
 * Serial console: once done, Enter on ttyS0 starts a root shell (prompt
 * `[<role>] <dir> # `), again whenever it exits, for the guest and the rescue.
 *
 * fstab (the guest role only; the rescue e2e's broken server): the guest's
 * root filesystem (label `lbroot`) may hold `etc/fstab`; like a real system
 * the boot honours it. A line whose device (`LABEL=`, `UUID=` or a path) is
 * missing and whose options lack `nofail` stops the boot before the user data
 * and `LB-MARKER-DONE`, with systemd's lines (`[ TIME ] Timed out waiting for
 * device …`, `[DEPEND] Dependency failed for <unit> - <mount point>.`,
 * `You are in emergency mode.`), which the diagnosis rules read.
 *
 * Power button: busybox acpid never ran its handler on this kernel, so the
 * init watches the "Power Button" input device itself (`button` + `evdev`
 * modules) and powers off on its first event.
 */
export const INIT_SCRIPT = `#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /mnt /run /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1

ROLE=guest; LABEL=; WAIT=60
for arg in $(cat /proc/cmdline); do
  case "$arg" in
    lb.role=*) ROLE="\${arg#lb.role=}" ;;
    lb.label=*) LABEL="\${arg#lb.label=}" ;;
    lb.wait=*) WAIT="\${arg#lb.wait=}" ;;
  esac
done

while read -r module; do insmod "$module" 2>/dev/null; done < /etc/lb-modules

power_off() {
  echo "LB-POWERDOWN role=$ROLE"
  sync
  umount -a -r 2>/dev/null
  poweroff -f
}

watch_power_button() {
  for input in /sys/class/input/input*; do
    [ "$(cat "$input/name" 2>/dev/null)" = "Power Button" ] || continue
    for event in "$input"/event*; do
      [ -e "$event" ] || continue
      node="/dev/input/\${event##*/}"
      i=0
      while [ ! -e "$node" ] && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
      ( head -c 1 "$node" >/dev/null && power_off ) &
    done
  done
}
watch_power_button

echo "LB-MARKER-BOOTED role=$ROLE kernel=$(uname -r)"

if [ -n "$LABEL" ]; then
  i=0
  while [ $i -lt "$WAIT" ] && ! findfs "LABEL=$LABEL" >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
fi

for block in /sys/block/*; do
  name="\${block##*/}"
  case "$name" in vd*|sd*|sr*|hd*|fd*) ;; *) continue ;; esac
  echo "LB-DISK $name size=$(cat "$block/size") ro=$(cat "$block/ro") path=$(readlink -f "$block/device" 2>/dev/null)"
done

# busybox has no blkid: try each filesystem type, read the label from the superblock.
label_of() {
  case "$1" in
    ext4) dd if="$2" bs=1 skip=1144 count=16 2>/dev/null ;;
    iso9660) dd if="$2" bs=1 skip=32808 count=32 2>/dev/null ;;
    vfat) dd if="$2" bs=1 skip=43 count=11 2>/dev/null ;;
  esac | tr -d '\\000' | sed 's/ *$//'
}
mkdir -p /mnt/probe
for block in /sys/block/*; do
  name="\${block##*/}"
  case "$name" in vd*|sd*|sr*|hd*) ;; *) continue ;; esac
  for part in "$block" "$block"/"$name"*; do
    [ -e "$part/dev" ] || continue
    dev="/dev/\${part##*/}"
    for type in iso9660 ext4 vfat; do
      mount -o ro -t "$type" "$dev" /mnt/probe 2>/dev/null || continue
      echo "LB-FS \${dev#/dev/} type=$type label=$(label_of "$type" "$dev")"
      for file in /mnt/probe/lifeboat-marker*; do
        [ -f "$file" ] && echo "LB-FILE \${dev#/dev/} \${file##*/} $(head -n 1 "$file")"
      done
      umount /mnt/probe
      break
    done
  done
done

# /etc/fstab of the guest's root, honoured as a real boot would (see above).
lb_fstab_ok() {
  rootdev="$(findfs LABEL=lbroot 2>/dev/null)"
  [ -n "$rootdev" ] || return 0
  mkdir -p /mnt/lbroot
  mount -o ro -t ext4 "$rootdev" /mnt/lbroot 2>/dev/null || return 0
  ok=0
  if [ -f /mnt/lbroot/etc/fstab ]; then
    while read -r spec mp fstype opts rest; do
      case "$spec" in ''|'#'*) continue ;; esac
      case ",$opts," in *,nofail,*) continue ;; esac
      case "$spec" in
        LABEL=*|UUID=*) findfs "$spec" >/dev/null 2>&1 && continue; path="/dev/disk/by-$(echo "\${spec%%=*}" | tr A-Z a-z)/\${spec#*=}" ;;
        *) [ -b "$spec" ] && continue; path="$spec" ;;
      esac
      unit="$(echo "\${mp#/}" | tr / -).mount"
      echo "[ TIME ] Timed out waiting for device $spec - $path."
      echo "[DEPEND] Dependency failed for $unit - $mp."
      ok=1
    done < /mnt/lbroot/etc/fstab
  fi
  umount /mnt/lbroot
  return $ok
}
if [ "$ROLE" = guest ] && ! lb_fstab_ok; then
  echo "[DEPEND] Dependency failed for local-fs.target - Local File Systems."
  echo 'You are in emergency mode. After logging in, type "journalctl -xb" to view system logs.'
  echo "Cannot open access to console, the root account is locked."
  while true; do sleep 3600; done
fi

# Networking and SSH (guest-ssh.ts)
${GUEST_SSH_FUNCTIONS}
echo "$ROLE" > /run/lifeboat-role
lb_net_up
lb_net_watch &
lb_install_keys
lb_ssh_up

CONFIG_DEV="$(findfs LABEL=config-2 2>/dev/null)"
if [ -n "$CONFIG_DEV" ]; then
  mkdir -p /run/config
  if mount -o ro -t iso9660 "$CONFIG_DEV" /run/config 2>/dev/null; then
    if [ -f /run/config/openstack/latest/user_data ]; then
      echo "LB-USERDATA start"
      LB_ROLE="$ROLE" sh /run/config/openstack/latest/user_data
      echo "LB-USERDATA rc=$?"
      sync
    fi
    umount /run/config
  fi
fi

echo "LB-MARKER-DONE role=$ROLE"
# A root shell on the serial console (the rescue user's way in when SSH is broken), started when someone presses
# Enter there (so an untouched console log ends in whole lines, never a prompt), again whenever it exits.
# setsid + cttyhack give it ttyS0 as its controlling terminal, so job control and ^C work.
export PS1="[$ROLE] \\w # "
while true; do if read -r _; then setsid cttyhack sh; else sleep 1; fi; done
`
