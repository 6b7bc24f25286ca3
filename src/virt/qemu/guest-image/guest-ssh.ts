/**
 * The networking and SSH part of the test guest and rescue images: DHCP on
 * every NIC (busybox udhcpc), the config drive's `public_keys` installed as
 * root's authorized keys, and an SSH server (Debian's dropbear). Shell and awk
 * text only; `initramfs.ts` puts the files into the image and `init-script.ts`
 * calls the functions.
 *
 * Console lines (for tests to wait for):
 * `lifeboat-guest: address <ip>/<prefix> on <if> via <router>`,
 * `lifeboat-guest: no address on <if>`, `lifeboat-guest: keys <n>`,
 * `lifeboat-guest: ssh up port 22`, `lifeboat-guest: ssh failed`.
 */

/** Where the files below live inside the initramfs. */
export const GUEST_SSH_PATHS = {
  udhcpcScript: '/etc/lb-udhcpc.script',
  publicKeysAwk: '/etc/lb-public-keys.awk',
} as const

/** The SSH server binaries copied into the initramfs (with the libraries `ldd` names). */
export const SSH_SERVER_BINARIES = ['/usr/sbin/dropbear', '/usr/bin/dropbearkey'] as const

/**
 * udhcpc's event script: sets the leased address, the default route and
 * resolv.conf, and prints the address on the console.
 * Variables from udhcpc: interface, ip, mask (prefix length), router, dns, domain, hostname.
 */
export const UDHCPC_SCRIPT = `#!/bin/sh
say() { echo "lifeboat-guest: $*" >/dev/console; }
case "$1" in
  deconfig)
    ip addr flush dev "$interface"
    ip link set "$interface" up
    ;;
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/\${mask:-24}" \${broadcast:+broadcast "$broadcast"} dev "$interface"
    for gw in $router; do
      ip route replace default via "$gw" dev "$interface"
      break
    done
    {
      [ -n "$domain" ] && echo "search $domain"
      for server in $dns; do echo "nameserver $server"; done
    } > /etc/resolv.conf
    [ -n "$hostname" ] && hostname "$hostname"
    say "address $ip/\${mask:-24} on $interface via \${router:-none}"
    ;;
  leasefail|nak)
    say "no address on $interface ($1)"
    ;;
esac
exit 0
`

/**
 * Prints the values of the top-level `public_keys` object of an OpenStack
 * `meta_data.json`, one key per line (a value holding several lines gives
 * several keys). A small recursive-descent JSON reader, since busybox has no
 * JSON tool: string escapes are decoded, keys anywhere but at the top level
 * are ignored, and malformed JSON prints nothing and exits 1.
 */
export const PUBLIC_KEYS_AWK = String.raw`
{ s = s $0 "\n" }
function fail() { failed = 1; exit 1 }
function ch() { return substr(s, p, 1) }
function skipws() { while (p <= n && index(" \t\r\n", ch()) > 0) p++ }
function hexval(h,   i, v, d) {
  v = 0
  for (i = 1; i <= 4; i++) {
    d = index("0123456789abcdef", tolower(substr(h, i, 1)))
    if (d == 0) fail()
    v = v * 16 + d - 1
  }
  return v
}
function str(   out, c, e, h) {
  p++
  out = ""
  while (p <= n) {
    c = ch()
    if (c == "\"") { p++; return out }
    if (c == "\\") {
      e = substr(s, p + 1, 1); p += 2
      if (e == "n") out = out "\n"
      else if (e == "r") out = out "\n"
      else if (e == "t") out = out " "
      else if (e == "b" || e == "f") out = out " "
      else if (e == "u") { h = hexval(substr(s, p, 4)); p += 4; out = out ((h >= 32 && h < 127) ? sprintf("%c", h) : " ") }
      else if (e == "\"" || e == "\\" || e == "/") out = out e
      else fail()
      continue
    }
    out = out c; p++
  }
  fail()
}
function keep(value,   lines, i, m, line) {
  m = split(value, lines, "\n")
  for (i = 1; i <= m; i++) {
    line = lines[i]
    sub(/^[ \t]+/, "", line); sub(/[ \t]+$/, "", line)
    if (line != "") found[++count] = line
  }
}
# mode 1: the top-level object; 2: the public_keys object; 0: anything else
function value(mode,   c, k, start) {
  skipws()
  c = ch()
  if (c == "{") {
    p++; skipws()
    if (ch() == "}") { p++; return }
    while (1) {
      skipws()
      if (ch() != "\"") fail()
      k = str()
      skipws()
      if (ch() != ":") fail()
      p++; skipws()
      if (mode == 2 && ch() == "\"") keep(str())
      else value(mode == 1 && k == "public_keys" ? 2 : 0)
      skipws()
      c = ch(); p++
      if (c == "}") return
      if (c != ",") fail()
    }
  }
  if (c == "[") {
    p++; skipws()
    if (ch() == "]") { p++; return }
    while (1) {
      value(0)
      skipws()
      c = ch(); p++
      if (c == "]") return
      if (c != ",") fail()
    }
  }
  if (c == "\"") { str(); return }
  start = p
  while (p <= n && index(",}] \t\r\n", ch()) == 0) p++
  if (p == start) fail()
}
END {
  if (failed) exit 1
  n = length(s); p = 1; count = 0
  skipws()
  if (ch() != "{") exit 1
  value(1)
  skipws()
  if (p <= n) exit 1
  for (i = 1; i <= count; i++) print found[i]
}
`

/**
 * Shell functions for the init (busybox sh): `lb_net_up` (DHCP on every
 * ethernet NIC; returns at once when there is none), `lb_net_watch` (runs
 * in the background: DHCP for NICs plugged later, announced on the console
 * as `lifeboat-guest: nic added|removed …`), `lb_install_keys`
 * (mounts the `config-2` drive read-only, installs its `public_keys` for
 * root, unmounts) and `lb_ssh_up` (a fresh ed25519 host key, dropbear on
 * port 22 with public-key logins only, waits until it listens).
 */
export const GUEST_SSH_FUNCTIONS = `
lb_say() { echo "lifeboat-guest: $*"; }

lb_net_up() {
  ip link set lo up 2>/dev/null
  for lb_if in /sys/class/net/*; do
    lb_if="\${lb_if##*/}"
    case "$lb_if" in eth*|en*) ;; *) continue ;; esac
    # Foreground until a lease (or 5 tries), then udhcpc stays in the background to renew it.
    udhcpc -i "$lb_if" -s ${GUEST_SSH_PATHS.udhcpcScript} -t 5 -T 1 -A 5 -b -p "/run/udhcpc.$lb_if.pid" >>"/run/udhcpc.$lb_if.log" 2>&1
  done
}

# NICs plugged into the running guest (os-interface attach; ACPI PCI hot-plug): a check every second, as there is
# no hot-plug helper in the image; a new NIC gets DHCP as at boot, a NIC gone loses its DHCP client.
lb_net_watch() {
  lb_seen=" $(ls /sys/class/net | tr '\n' ' ')"
  while true; do
    sleep 1
    lb_now=" $(ls /sys/class/net | tr '\n' ' ')"
    for lb_if in $lb_now; do
      case "$lb_seen" in *" $lb_if "*) continue ;; esac
      case "$lb_if" in eth*|en*) ;; *) continue ;; esac
      lb_say "nic added $lb_if mac=$(cat "/sys/class/net/$lb_if/address") pci=$(readlink -f "/sys/class/net/$lb_if/device")" >/dev/console
      udhcpc -i "$lb_if" -s ${GUEST_SSH_PATHS.udhcpcScript} -t 5 -T 1 -A 5 -b -p "/run/udhcpc.$lb_if.pid" >>"/run/udhcpc.$lb_if.log" 2>&1
    done
    for lb_if in $lb_seen; do
      case "$lb_now" in *" $lb_if "*) continue ;; esac
      lb_say "nic removed $lb_if" >/dev/console
      [ -f "/run/udhcpc.$lb_if.pid" ] && kill "$(cat "/run/udhcpc.$lb_if.pid")" 2>/dev/null
      rm -f "/run/udhcpc.$lb_if.pid"
    done
    lb_seen="$lb_now"
  done
}

lb_install_keys() {
  lb_dev="$(findfs LABEL=config-2 2>/dev/null)"
  mkdir -p /root/.ssh /run/lb-keys
  chmod 700 /root /root/.ssh
  : > /root/.ssh/authorized_keys
  chmod 600 /root/.ssh/authorized_keys
  if [ -n "$lb_dev" ] && mount -o ro -t iso9660 "$lb_dev" /run/lb-keys 2>/dev/null; then
    lb_md=/run/lb-keys/openstack/latest/meta_data.json
    if [ -f "$lb_md" ] && ! awk -f ${GUEST_SSH_PATHS.publicKeysAwk} "$lb_md" > /root/.ssh/authorized_keys; then
      lb_say "meta_data.json unreadable, no keys installed"
      : > /root/.ssh/authorized_keys
    fi
    umount /run/lb-keys
  fi
  lb_say "keys $(grep -c . /root/.ssh/authorized_keys)"
}

lb_listening() {
  grep -q '^ *[0-9]*: [0-9A-F]*:0016 [0-9A-F]*:0000 0A' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

lb_ssh_up() {
  mkdir -p /etc/dropbear /var/run /dev/pts
  mount -t devpts devpts /dev/pts 2>/dev/null
  lb_key=/etc/dropbear/dropbear_ed25519_host_key
  [ -f "$lb_key" ] || dropbearkey -t ed25519 -f "$lb_key" >/dev/null 2>&1
  if ! dropbear -r "$lb_key" -s -p 22 -P /run/dropbear.pid; then lb_say "ssh failed"; return; fi
  i=0
  while ! lb_listening && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
  if lb_listening; then lb_say "ssh up port 22"; else lb_say "ssh failed"; fi
}
`

/** The account files the SSH server needs: root with busybox sh, no password. */
export const GUEST_ACCOUNT_FILES: Record<string, string> = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\n',
  'etc/group': 'root:x:0:\n',
  'etc/shadow': 'root:*:19000:0:99999:7:::\n',
  'etc/shells': '/bin/sh\n',
}
