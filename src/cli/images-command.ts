import path from 'node:path'
import { Command, Option } from 'commander'

interface BuildFlags {
  upload?: boolean
  debian?: boolean
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
  const plan = uploadPlan(images)
  if (flags.debian) {
    const { buildDebianImage } = await import('../virt/qemu/guest-image/debian-image.js')
    const { debianUploadItem } = await import('../virt/qemu/guest-image/upload-images.js')
    const debian = await buildDebianImage({ dir: flags.dir ?? defaultImagesDir(dataDir), force: flags.force, log: (line) => out(`  … ${line}`) })
    const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`
    out(`  Debian cloud image    ${debian.image}  (kernel ${debian.kernel}; ${mib(debian.fileBytes)} qcow2, ${mib(debian.virtualBytes)} disk; ` +
      `${debian.cached ? 'cached' : `built in ${(debian.buildMs / 1000).toFixed(0)} s`})`)
    plan.push(debianUploadItem(debian))
  }
  if (!flags.upload) return
  const session = await imageSession(findCredentials({ cloud: flags.cloud, dataDir }))
  out()
  out(`Uploading to ${session.imageUrl}:`)
  for (const result of await uploadImages(session, plan, flags.visibility)) {
    out(`  ${result.name.padEnd(22)} ${result.id}${result.reused ? '  (already uploaded)' : ''}`)
  }
}

/** `lifeboat images build [--debian] [--upload]`: the test guest and rescue images (and a Debian cloud image) for the QEMU driver. */
export function registerImageCommands(program: Command): void {
  const images = program.command('images').description('test guest and rescue images for the QEMU driver, built from Debian packages')
  images.command('build')
    .description('build (or reuse) the guest image, the rescue disks and the rescue ISO; --upload puts them into the image service')
    .option('--upload', 'upload them to the image service (credentials from OS_* variables or clouds.yaml)')
    .option('--debian', 'also build a Debian bookworm cloud image (cloud-init, openssh-server; user debian) from Debian\'s packages with this host\'s apt sources; needs root and mmdebstrap')
    .option('--force', 'rebuild even when a build with the same inputs is cached')
    .option('--dir <dir>', 'where built images are kept (default <data folder>/guest-images)')
    .option('--data-dir <dir>', 'the Lifeboat data folder (LIFEBOAT_DATA_DIR, default ./data); its clouds.yaml is used for --upload')
    .option('--cloud <name>', 'cloud in clouds.yaml (OS_CLOUD, default lifeboat-admin)')
    .addOption(new Option('--visibility <visibility>', 'visibility of uploaded images').choices(['public', 'private', 'shared', 'community']).default('public'))
    .action(build)
}
