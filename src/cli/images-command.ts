import path from 'node:path'
import { Command, Option } from 'commander'

interface BuildFlags {
  upload?: boolean
  force?: boolean
  dir?: string
  dataDir?: string
  cloud?: string
  visibility: 'public' | 'private' | 'shared' | 'community'
}

async function build(flags: BuildFlags): Promise<void> {
  // Loaded here: `lifeboat` (serve) never carries the guest-image code.
  const { buildImages, defaultImagesDir } = await import('../virt/qemu/guest-image/build-images.js')
  const { findCredentials, imageSession, uploadImages, uploadPlan } = await import('../virt/qemu/guest-image/upload-images.js')
  const out = (line = '') => process.stdout.write(`${line}\n`)
  const dataDir = path.resolve(flags.dataDir ?? process.env.LIFEBOAT_DATA_DIR ?? 'data')
  const started = Date.now()
  const images = await buildImages({ dir: flags.dir ?? defaultImagesDir(dataDir), force: flags.force })
  out(`${images.cached ? 'Cached' : 'Built'} images in ${images.dir} (${Date.now() - started} ms):`)
  out(`  guest                 ${images.guest}  (kernel ${images.guestKernel})`)
  out(`  rescue disk           ${images.rescueDisk}  (kernel ${images.rescueKernel}; sees disks on ${images.buses.rescueDisk.join(', ')})`)
  out(`  rescue disk, any bus  ${images.rescueDiskAllBuses}  (kernel ${images.allBusesKernel}; sees disks on ${images.buses.allBuses.join(', ')})`)
  out(`  rescue ISO            ${images.rescueIso}  (kernel ${images.allBusesKernel})`)
  if (!flags.upload) return
  const session = await imageSession(findCredentials({ cloud: flags.cloud, dataDir }))
  out()
  out(`Uploading to ${session.imageUrl}:`)
  for (const result of await uploadImages(session, uploadPlan(images), flags.visibility)) {
    out(`  ${result.name.padEnd(22)} ${result.id}${result.reused ? '  (already uploaded)' : ''}`)
  }
}

/** `lifeboat images build [--upload]`: the test guest and rescue images for the QEMU driver. */
export function registerImageCommands(program: Command): void {
  const images = program.command('images').description('test guest and rescue images for the QEMU driver, built from Debian packages')
  images.command('build')
    .description('build (or reuse) the guest image, the rescue disks and the rescue ISO; --upload puts them into the image service')
    .option('--upload', 'upload them to the image service (credentials from OS_* variables or clouds.yaml)')
    .option('--force', 'rebuild even when a build with the same inputs is cached')
    .option('--dir <dir>', 'where built images are kept (default <data folder>/guest-images)')
    .option('--data-dir <dir>', 'the Lifeboat data folder (LIFEBOAT_DATA_DIR, default ./data); its clouds.yaml is used for --upload')
    .option('--cloud <name>', 'cloud in clouds.yaml (OS_CLOUD, default lifeboat-admin)')
    .addOption(new Option('--visibility <visibility>', 'visibility of uploaded images').choices(['public', 'private', 'shared', 'community']).default('public'))
    .action(build)
}
