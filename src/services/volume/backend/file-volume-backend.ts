import fs from 'node:fs'
import path from 'node:path'
import type { BackingFile, ImageSource, VolumeBackend } from './volume-backend.js'
import { qemuFormatName, qemuImg, qemuImgInfo } from '../../../util/qemu-img.js'

const GIB = 1024 ** 3

/**
 * The default backend: each volume is a qcow2 file under
 * `<dataDir>/volumes/<id>.qcow2`, each snapshot a full qcow2 copy under
 * `<dataDir>/volumes/snapshots/<id>.qcow2`, all made with `qemu-img`.
 */
export class FileVolumeBackend implements VolumeBackend {
  readonly hostName: string
  readonly #dir: string

  constructor(dataDir: string, hostName = 'lifeboat@file#file') {
    this.#dir = path.join(dataDir, 'volumes')
    this.hostName = hostName
  }

  volumePath(id: string): BackingFile {
    return { path: path.join(this.#dir, `${id}.qcow2`), format: 'qcow2' }
  }

  #snapshotPath(id: string): BackingFile {
    return { path: path.join(this.#dir, 'snapshots', `${id}.qcow2`), format: 'qcow2' }
  }

  async createVolume(id: string, sizeGb: number): Promise<BackingFile> {
    const target = this.volumePath(id)
    await fs.promises.mkdir(path.dirname(target.path), { recursive: true })
    await qemuImg(['create', '-q', '-f', 'qcow2', target.path, `${sizeGb}G`])
    return target
  }

  async createVolumeFromImage(id: string, image: ImageSource, sizeGb: number): Promise<BackingFile> {
    const target = this.volumePath(id)
    await this.#convert(image.path, qemuFormatName(image.diskFormat), target, false)
    await this.#growTo(target, sizeGb)
    return target
  }

  async cloneVolume(id: string, source: BackingFile, sizeGb: number): Promise<BackingFile> {
    const target = this.volumePath(id)
    await this.#convert(source.path, source.format, target, true)
    await this.#growTo(target, sizeGb)
    return target
  }

  async extendVolume(volume: BackingFile, newSizeGb: number): Promise<void> {
    await qemuImg(['resize', '-q', '-f', volume.format, volume.path, `${newSizeGb}G`])
  }

  async createSnapshot(snapshotId: string, volume: BackingFile, shared: boolean): Promise<BackingFile> {
    const target = this.#snapshotPath(snapshotId)
    await this.#convert(volume.path, volume.format, target, shared)
    return target
  }

  async deleteVolume(volume: BackingFile): Promise<void> {
    await fs.promises.rm(volume.path, { force: true })
  }

  async deleteSnapshot(snapshot: BackingFile): Promise<void> {
    await fs.promises.rm(snapshot.path, { force: true })
  }

  async discardVolume(id: string): Promise<void> {
    await this.#discard(this.volumePath(id))
  }

  async discardSnapshot(snapshotId: string): Promise<void> {
    await this.#discard(this.#snapshotPath(snapshotId))
  }

  // A copy is written to `<path>.part` first (`#convert`): both may be there after a crash.
  async #discard(target: BackingFile): Promise<void> {
    await fs.promises.rm(target.path, { force: true })
    await fs.promises.rm(`${target.path}.part`, { force: true })
  }

  async imageVirtualSize(image: ImageSource): Promise<number | null> {
    try {
      return (await qemuImgInfo(image.path, { format: qemuFormatName(image.diskFormat) })).virtualSize
    } catch {
      return null
    }
  }

  async #convert(source: string, sourceFormat: string | null, target: BackingFile, shared: boolean): Promise<void> {
    await fs.promises.mkdir(path.dirname(target.path), { recursive: true })
    const partial = `${target.path}.part`
    try {
      await qemuImg([
        'convert', '-q', ...(shared ? ['-U'] : []), ...(sourceFormat ? ['-f', sourceFormat] : []),
        '-O', target.format, source, partial,
      ])
      await fs.promises.rename(partial, target.path)
    } catch (error) {
      await fs.promises.rm(partial, { force: true })
      throw error
    }
  }

  // A copy keeps its source's virtual size when that is already larger (callers check it fits first).
  async #growTo(target: BackingFile, sizeGb: number): Promise<void> {
    const info = await qemuImgInfo(target.path, { format: target.format })
    if (info.virtualSize < sizeGb * GIB) await this.extendVolume(target, sizeGb)
  }
}
