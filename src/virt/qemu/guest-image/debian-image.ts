import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { convertImage } from '../image-cache.js'
import { runCommand } from '../run-command.js'
import { buildBootDisk } from './boot-media.js'

/** Bump when the image changes in a way the inputs below don't show. */
const DEBIAN_BUILDER_VERSION = 1
const SUITE = 'bookworm'
const MIB = 1024 * 1024
/** The disk's virtual size: fits a 1 GB flavor; cloud-init's growpart grows the root into a bigger disk. */
const DISK_MIB = 1024

/** What a Debian cloud image has besides the minimal apt system (as Debian's own cloud images, minus the docs). */
export const DEBIAN_PACKAGES = [
  'linux-image-cloud-amd64', 'initramfs-tools', 'systemd-sysv', 'udev', 'cloud-init', 'cloud-guest-utils', 'openssh-server',
  'ifupdown', 'isc-dhcp-client', 'dbus', 'sudo', 'netbase', 'ca-certificates', 'locales',
] as const

/**
 * cloud-init: read the config drive first (as on OpenStack), then the
 * metadata service; the locale glibc always has (cloud-init's default,
 * en_US.UTF-8, is not generated in a fresh install and its locale module fails).
 */
export const CLOUD_INIT_CONFIG = 'datasource_list: [ ConfigDrive, OpenStack, NoCloud, None ]\nlocale: C.UTF-8\n'

/** The Debian image `buildDebianImage` made. */
export interface BuiltDebianImage {
  key: string
  dir: string
  /** The qcow2 disk: MBR, p1 FAT with syslinux + kernel + initrd, p2 ext4 root. */
  image: string
  kernel: string
  /** Bytes the qcow2 file takes, and the disk's virtual size. */
  fileBytes: number
  virtualBytes: number
  /** How long the build took (0 when cached). */
  buildMs: number
  cached: boolean
}

/** The host's apt source files for the suite (deb822 `.sources` or one-line `.list`), e.g. /etc/apt/sources.list.d/debian.sources. */
export function hostAptSources(etcApt = '/etc/apt'): string[] {
  const files = [path.join(etcApt, 'sources.list')]
  const dir = path.join(etcApt, 'sources.list.d')
  if (fs.existsSync(dir)) for (const name of fs.readdirSync(dir).sort()) if (/\.(list|sources)$/.test(name)) files.push(path.join(dir, name))
  return files.filter((file) => fs.existsSync(file) && new RegExp(`^(deb\\s.*\\s${SUITE}(\\s|$)|Suites:.*\\b${SUITE}\\b)`, 'm').test(fs.readFileSync(file, 'utf8')))
}

/** Why this host cannot build the Debian image, or null. */
export function debianBuildBlocker(): string | null {
  if (process.getuid?.() !== 0) return 'it needs root (mmdebstrap installs the packages in a chroot as root)'
  for (const [file, pkg] of [['/usr/bin/mmdebstrap', 'mmdebstrap'], ['/usr/sbin/mkfs.ext4', 'e2fsprogs'], ['/usr/bin/syslinux', 'syslinux'], ['/usr/bin/mcopy', 'mtools'], ['/usr/bin/qemu-img', 'qemu-utils']] as const) {
    if (!fs.existsSync(file)) return `missing ${file} (apt-get install ${pkg})`
  }
  if (hostAptSources().length === 0) return `no apt source for ${SUITE} in /etc/apt`
  return null
}

function cacheKey(sources: string[]): string {
  const hash = crypto.createHash('sha256')
  hash.update(JSON.stringify({ DEBIAN_BUILDER_VERSION, SUITE, DEBIAN_PACKAGES, CLOUD_INIT_CONFIG, DISK_MIB }))
  for (const file of sources) hash.update(fs.readFileSync(file))
  return hash.digest('hex').slice(0, 16)
}

/** Makes the installed tree a cloud image: no host identity, fstab by UUID, loopback, cloud-init's sources. */
function finishTree(root: string, rootUuid: string): void {
  const write = (file: string, content: string, mode = 0o644) => {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
    fs.writeFileSync(path.join(root, file), content, { mode })
  }
  write('etc/fstab', `UUID=${rootUuid} / ext4 rw,discard,errors=remount-ro 0 1\n`)
  write('etc/hostname', 'debian\n')
  write('etc/hosts', '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\nff02::1 ip6-allnodes\nff02::2 ip6-allrouters\n')
  write('etc/network/interfaces', '# cloud-init writes the NICs to interfaces.d\nsource /etc/network/interfaces.d/*\n\nauto lo\niface lo inet loopback\n')
  write('etc/cloud/cloud.cfg.d/90-lifeboat.cfg', CLOUD_INIT_CONFIG)
  write('etc/default/locale', 'LANG=C.UTF-8\n')
  // Each instance gets its own identity: cloud-init makes the SSH host keys, systemd the machine id.
  for (const name of fs.readdirSync(path.join(root, 'etc/ssh'))) if (name.startsWith('ssh_host_')) fs.rmSync(path.join(root, 'etc/ssh', name))
  write('etc/machine-id', '')
  fs.rmSync(path.join(root, 'var/lib/dbus/machine-id'), { force: true })
  fs.rmSync(path.join(root, 'etc/resolv.conf'), { force: true })
  write('etc/resolv.conf', '')
}

/** The newest kernel and its initrd in the tree's /boot. */
function treeKernel(root: string): { version: string; vmlinuz: string; initrd: string } {
  const versions = fs.readdirSync(path.join(root, 'boot')).map((name) => /^vmlinuz-(.+)$/.exec(name)?.[1]).filter((v): v is string => Boolean(v))
  versions.sort((a, b) => b.localeCompare(a, undefined, { numeric: true }))
  const version = versions[0]
  if (!version) throw new Error('the installed tree has no kernel in /boot')
  return { version, vmlinuz: path.join(root, 'boot', `vmlinuz-${version}`), initrd: path.join(root, 'boot', `initrd.img-${version}`) }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/**
 * Runs `fn` holding `lockFile` (created exclusively, holding our pid); waits
 * while another live process holds it (a CI job may prebuild the image in
 * the background while the tests ask for it), takes over a dead one's.
 */
async function withLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      fs.writeFileSync(lockFile, String(process.pid), { flag: 'wx' })
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    let holder: number
    let age: number
    try {
      holder = Number(fs.readFileSync(lockFile, 'utf8').trim())
      age = Date.now() - fs.statSync(lockFile).mtimeMs
    } catch {
      continue // released meanwhile
    }
    // A dead holder's lock (or one left empty by a crash between create and write) is taken over.
    if ((holder > 0 && !alive(holder)) || (!(holder > 0) && age > 10_000)) fs.rmSync(lockFile, { force: true })
    else await sleep(1000)
  }
  try {
    return await fn()
  } finally {
    fs.rmSync(lockFile, { force: true })
  }
}

/** The cached image of `key`, if it was built. */
function cachedImage(key: string, target: string): BuiltDebianImage | null {
  const manifest = path.join(target, 'manifest.json')
  if (!fs.existsSync(manifest)) return null
  const saved = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { kernel: string; virtualBytes: number }
  const image = path.join(target, 'debian.qcow2')
  return { key, dir: target, image, kernel: saved.kernel, fileBytes: fs.statSync(image).size, virtualBytes: saved.virtualBytes, buildMs: 0, cached: true }
}

/**
 * Builds a Debian bookworm cloud image (cloud-init with the config-drive
 * datasource, openssh-server, the cloud kernel) from Debian's packages with
 * this host's apt sources, or returns the cached one. No loop mounts:
 * mmdebstrap installs into a folder, `mkfs.ext4 -d` makes the root
 * filesystem from it, syslinux boots from a FAT partition written with
 * mtools, sfdisk and dd assemble the disk (as the test images). Needs root
 * (mmdebstrap's chroot mode; CI runs as root). Takes about a minute or two,
 * most of it downloading and unpacking packages. One build at a time per
 * image: a second caller waits for the first and gets its result.
 */
export async function buildDebianImage(options: { dir: string; force?: boolean; log?: (line: string) => void }): Promise<BuiltDebianImage> {
  const blocker = debianBuildBlocker()
  if (blocker) throw new Error(`cannot build the Debian image: ${blocker}`)
  const sources = hostAptSources()
  const key = cacheKey(sources)
  const target = path.join(options.dir, `debian-${key}`)
  if (!options.force) {
    const cached = cachedImage(key, target)
    if (cached) return cached
  }
  fs.mkdirSync(options.dir, { recursive: true })
  const waited = Date.now()
  return withLock(`${target}.lock`, async () => {
    // Built by the holder we waited for (a forced build rebuilds only if nobody built meanwhile).
    const cached = cachedImage(key, target)
    if (cached && (!options.force || fs.statSync(path.join(target, 'manifest.json')).mtimeMs > waited)) return cached
    return build(key, sources, target, options)
  })
}

async function build(key: string, sources: string[], target: string, options: { dir: string; force?: boolean; log?: (line: string) => void }): Promise<BuiltDebianImage> {
  const manifest = path.join(target, 'manifest.json')
  const started = Date.now()
  const log = options.log ?? (() => undefined)
  const work = fs.mkdtempSync(path.join(options.dir, '.build-debian-'))
  try {
    const root = path.join(work, 'root')
    log(`mmdebstrap ${SUITE} with ${sources.join(', ')}`)
    await runCommand('mmdebstrap', ['--quiet', '--variant=apt', '--mode=root', '--format=directory', `--include=${DEBIAN_PACKAGES.join(',')}`,
      '--aptopt=Acquire::Languages "none"',
      '--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-include=/usr/share/doc/*/copyright',
      '--dpkgopt=path-exclude=/usr/share/man/*', '--dpkgopt=path-exclude=/usr/share/locale/*', '--dpkgopt=path-exclude=/usr/share/info/*',
      SUITE, root, ...sources], { timeoutMs: 30 * 60_000 })
    const rootUuid = crypto.randomUUID()
    finishTree(root, rootUuid)
    const kernel = treeKernel(root)
    const bootMib = Math.ceil((fs.statSync(kernel.vmlinuz).size + fs.statSync(kernel.initrd).size) / MIB) + 2
    const rootMib = DISK_MIB - 1 - bootMib
    const rootImage = path.join(work, 'root.ext4')
    log(`mkfs.ext4 -d (${rootMib} MiB root)`)
    await runCommand('mkfs.ext4', ['-q', '-F', '-L', 'debian-root', '-U', rootUuid, '-d', root, rootImage, `${rootMib}M`], { timeoutMs: 10 * 60_000 })
    const raw = path.join(work, 'debian.raw')
    await buildBootDisk({
      kernel: kernel.vmlinuz, initrd: kernel.initrd, label: 'DEBBOOT', markers: {},
      append: `root=UUID=${rootUuid} ro console=tty0 console=ttyS0,115200 consoleblank=0`,
    }, path.join(work, 'boot'), raw, { label: 'debian-root', mib: rootMib, image: rootImage })
    fs.rmSync(root, { recursive: true, force: true })
    fs.rmSync(rootImage)
    const out = path.join(work, 'out')
    fs.mkdirSync(out)
    await convertImage(raw, 'raw', path.join(out, 'debian.qcow2'), 'qcow2', false)
    const virtualBytes = fs.statSync(raw).size
    fs.writeFileSync(path.join(out, 'manifest.json'), `${JSON.stringify({ key, suite: SUITE, kernel: kernel.version, virtualBytes, packages: DEBIAN_PACKAGES, builtAt: new Date().toISOString() }, null, 2)}\n`)
    if (options.force) fs.rmSync(target, { recursive: true, force: true })
    try {
      fs.renameSync(out, target)
    } catch (error) {
      if (!fs.existsSync(manifest)) throw error
    }
    const image = path.join(target, 'debian.qcow2')
    return { key, dir: target, image, kernel: kernel.version, fileBytes: fs.statSync(image).size, virtualBytes, buildMs: Date.now() - started, cached: false }
  } finally {
    fs.rmSync(work, { recursive: true, force: true })
  }
}
