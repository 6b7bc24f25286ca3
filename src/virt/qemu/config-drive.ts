import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import type { ConfigDriveSpec } from '../virt-driver.js'
import { runCommand } from './run-command.js'

/** The volume label cloud-init and our test image look for. */
export const CONFIG_DRIVE_LABEL = 'config-2'

/**
 * The files of a config drive (OpenStack metadata layout), path → content:
 * `openstack/latest/meta_data.json`, `network_data.json`, `vendor_data.json`
 * and, when given, `user_data`. Pure.
 */
export function configDriveFiles(spec: ConfigDriveSpec): Map<string, string> {
  const files = new Map<string, string>()
  files.set('openstack/latest/meta_data.json', JSON.stringify(spec.metaData))
  files.set('openstack/latest/network_data.json', JSON.stringify(spec.networkData))
  files.set('openstack/latest/vendor_data.json', '{}')
  if (spec.userData !== null) files.set('openstack/latest/user_data', spec.userData)
  return files
}

/**
 * genisoimage (Nova's default `mkisofs_cmd`, and about ten times quicker to
 * start than xorriso) when it is on PATH, else xorriso's mkisofs emulation.
 */
function isoTool(): { file: string; args: string[] } {
  const dirs = (process.env.PATH ?? '/usr/bin').split(path.delimiter)
  const found = (name: string) => dirs.map((dir) => path.join(dir, name)).find((file) => fs.existsSync(file))
  const genisoimage = found('genisoimage')
  if (genisoimage) return { file: genisoimage, args: [] }
  return { file: found('xorriso') ?? 'xorriso', args: ['-as', 'mkisofs'] }
}

/**
 * Writes the config drive as an ISO 9660 image labelled `config-2` (Joliet
 * and Rock Ridge, like Nova's `genisoimage -J -r -V config-2`).
 */
export async function buildConfigDrive(spec: ConfigDriveSpec, outFile: string): Promise<void> {
  // Rebuilding an unchanged drive on every boot would only cost time: a sidecar keeps the content's hash.
  const hash = crypto.createHash('sha256').update(JSON.stringify([...configDriveFiles(spec)])).digest('hex')
  const sidecar = `${outFile}.sha256`
  if (fs.existsSync(outFile) && fs.existsSync(sidecar) && fs.readFileSync(sidecar, 'utf8') === hash) return
  const root = `${outFile}.d`
  fs.rmSync(root, { recursive: true, force: true })
  try {
    for (const [file, content] of configDriveFiles(spec)) {
      fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
      fs.writeFileSync(path.join(root, file), content)
    }
    const tool = isoTool()
    const tmp = `${outFile}.tmp`
    await runCommand(tool.file, [...tool.args, '-quiet', '-o', tmp, '-V', CONFIG_DRIVE_LABEL, '-J', '-r', '-l', '-allow-lowercase', '-allow-multidot', root])
    fs.renameSync(tmp, outFile)
    fs.writeFileSync(sidecar, hash)
  } finally {
    fs.rmSync(root, { recursive: true, force: true })
  }
}
