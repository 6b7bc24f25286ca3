import fs from 'node:fs'
import path from 'node:path'
import { runCommand } from '../run-command.js'
import { GUEST_MODULES, type HostKernel } from './kernels.js'
import { INIT_SCRIPT } from './init-script.js'
import { GUEST_ACCOUNT_FILES, GUEST_SSH_PATHS, PUBLIC_KEYS_AWK, SSH_SERVER_BINARIES, UDHCPC_SCRIPT } from './guest-ssh.js'

const BUSYBOX = '/bin/busybox'

/**
 * Module files for `modules` in load order, dependencies first, as the
 * host's modprobe resolves them for `kernel` (modules the kernel lacks or
 * has built in are skipped).
 */
export async function resolveModules(kernel: HostKernel, modules: readonly string[] = GUEST_MODULES): Promise<string[]> {
  const ordered: string[] = []
  for (const module of modules) {
    const out = await runCommand('modprobe', ['-S', kernel.version, '--show-depends', module]).catch(() => ({ stdout: '' }))
    for (const line of out.stdout.split('\n')) {
      const match = /^insmod (\S+)/.exec(line.trim())
      if (match && !ordered.includes(match[1]!)) ordered.push(match[1]!)
    }
  }
  return ordered
}

/** The shared libraries `binary` loads, as `ldd` resolves them on this host (the loader included). */
export async function sharedLibraries(binary: string): Promise<string[]> {
  const { stdout } = await runCommand('ldd', [binary])
  const libs: string[] = []
  for (const line of stdout.split('\n')) {
    const match = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line)
    if (match) libs.push(match[1]!)
  }
  return libs
}

/** Copies the SSH server, its libraries (at their host paths), its scripts and account files into `root`. */
async function addSshServer(root: string): Promise<void> {
  const files = new Set<string>()
  for (const binary of SSH_SERVER_BINARIES) {
    files.add(binary)
    for (const lib of await sharedLibraries(binary)) files.add(lib)
  }
  for (const file of files) {
    const target = path.join(root, file)
    fs.mkdirSync(path.dirname(target), { recursive: true })
    fs.copyFileSync(file, target) // follows symlinks: the image gets the files themselves
    fs.chmodSync(target, 0o755)
  }
  fs.writeFileSync(path.join(root, GUEST_SSH_PATHS.udhcpcScript), UDHCPC_SCRIPT, { mode: 0o755 })
  fs.writeFileSync(path.join(root, GUEST_SSH_PATHS.publicKeysAwk), PUBLIC_KEYS_AWK)
  for (const [file, content] of Object.entries(GUEST_ACCOUNT_FILES)) {
    fs.writeFileSync(path.join(root, file), content, { mode: file === 'etc/shadow' ? 0o600 : 0o644 })
  }
}

/**
 * Builds a gzip'd newc initramfs with static busybox, the modules, the
 * SSH server (dropbear and its libraries) and the Lifeboat `/init`, without root and without mounts. Returns `outFile`.
 */
export async function buildInitramfs(kernel: HostKernel, workDir: string, outFile: string): Promise<string> {
  const root = path.join(workDir, `initramfs-${kernel.flavour}`)
  fs.rmSync(root, { recursive: true, force: true })
  for (const dir of ['bin', 'etc', 'lib/modules']) fs.mkdirSync(path.join(root, dir), { recursive: true })
  fs.copyFileSync(BUSYBOX, path.join(root, 'bin/busybox'))
  fs.chmodSync(path.join(root, 'bin/busybox'), 0o755)
  fs.writeFileSync(path.join(root, 'init'), INIT_SCRIPT, { mode: 0o755 })
  await addSshServer(root)
  const inImage: string[] = []
  for (const file of await resolveModules(kernel)) {
    const target = `/lib/modules/${path.basename(file)}`
    fs.copyFileSync(file, path.join(root, target))
    inImage.push(target)
  }
  fs.writeFileSync(path.join(root, 'etc/lb-modules'), `${inImage.join('\n')}\n`)
  await runCommand('sh', ['-c', 'cd "$1" && find . | cpio -o -H newc --quiet | gzip -6 > "$2"', 'sh', root, outFile])
  return outFile
}
