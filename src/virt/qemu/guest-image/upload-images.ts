import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import YAML from 'yaml'
import type { BuiltImages } from './build-images.js'
import type { BuiltDebianImage } from './debian-image.js'
import { keystoneLogin } from '../../../util/keystone-login.js'

/** Password credentials for Keystone v3. */
export interface Credentials {
  authUrl: string
  username: string
  password: string
  projectName: string
  userDomainName: string
  projectDomainName: string
  regionName: string | null
}

/** One image to upload: file, formats and Glance properties. */
export interface UploadItem {
  name: string
  file: string
  diskFormat: 'qcow2' | 'raw' | 'iso'
  properties: Record<string, string>
}

/** What was uploaded (or found already there). */
export interface UploadResult {
  name: string
  id: string
  reused: boolean
}

function cloudsFiles(dataDir: string): string[] {
  const env = process.env.OS_CLIENT_CONFIG_FILE
  return [...(env ? [env] : []), path.resolve('clouds.yaml'), path.join(dataDir, 'clouds.yaml'),
    path.join(os.homedir(), '.config/openstack/clouds.yaml'), '/etc/openstack/clouds.yaml']
}

/**
 * Credentials from `OS_*` variables (OS_AUTH_URL, OS_USERNAME, OS_PASSWORD,
 * OS_PROJECT_NAME), else from the cloud `cloud` (default OS_CLOUD, else
 * `lifeboat-admin`) of the first clouds.yaml found (OS_CLIENT_CONFIG_FILE,
 * ./clouds.yaml, the Lifeboat data folder, ~/.config/openstack, /etc/openstack).
 */
export function findCredentials(options: { cloud?: string; dataDir: string }): Credentials {
  const env = process.env
  if (!options.cloud && env.OS_AUTH_URL && env.OS_USERNAME && env.OS_PASSWORD) {
    return {
      authUrl: env.OS_AUTH_URL, username: env.OS_USERNAME, password: env.OS_PASSWORD, projectName: env.OS_PROJECT_NAME ?? env.OS_USERNAME,
      userDomainName: env.OS_USER_DOMAIN_NAME ?? 'Default', projectDomainName: env.OS_PROJECT_DOMAIN_NAME ?? 'Default', regionName: env.OS_REGION_NAME ?? null,
    }
  }
  const name = options.cloud ?? env.OS_CLOUD ?? 'lifeboat-admin'
  for (const file of cloudsFiles(options.dataDir)) {
    if (!fs.existsSync(file)) continue
    const doc = YAML.parse(fs.readFileSync(file, 'utf8')) as { clouds?: Record<string, { auth?: Record<string, string>; region_name?: string }> } | null
    const cloud = doc?.clouds?.[name]
    if (!cloud?.auth) continue
    const auth = cloud.auth
    return {
      authUrl: auth.auth_url!, username: auth.username!, password: auth.password!, projectName: auth.project_name!,
      userDomainName: auth.user_domain_name ?? 'Default', projectDomainName: auth.project_domain_name ?? 'Default', regionName: cloud.region_name ?? null,
    }
  }
  throw new Error(`no credentials: set OS_AUTH_URL/OS_USERNAME/OS_PASSWORD/OS_PROJECT_NAME, or put cloud '${name}' in a clouds.yaml (looked in ${cloudsFiles(options.dataDir).join(', ')})`)
}

interface CatalogEntry {
  type: string
  endpoints: Array<{ interface: string; url: string; region?: string | null; region_id?: string | null }>
}

/** A Keystone token and the public image endpoint from its catalog. */
export async function imageSession(credentials: Credentials): Promise<{ token: string; imageUrl: string }> {
  const { token, body } = await keystoneLogin(credentials.authUrl, {
    userName: credentials.username, password: credentials.password, projectName: credentials.projectName,
    userDomain: { name: credentials.userDomainName }, projectDomain: { name: credentials.projectDomainName },
  })
  const catalog = (body.token.catalog ?? []) as CatalogEntry[]
  const endpoints = catalog.find((entry) => entry.type === 'image')?.endpoints ?? []
  const endpoint = endpoints.find((e) => e.interface === 'public' && (!credentials.regionName || (e.region_id ?? e.region) === credentials.regionName)) ?? endpoints.find((e) => e.interface === 'public')
  if (!endpoint) throw new Error('the catalog has no public image endpoint')
  return { token, imageUrl: endpoint.url.replace(/\/+$/, '').replace(/\/v2$/, '') }
}

/** The images `lifeboat images build --upload` puts into the image service, with their rescue properties. */
export function uploadPlan(images: BuiltImages): UploadItem[] {
  const common = { lifeboat_build: images.key }
  return [
    { name: 'lifeboat-guest', file: images.guest, diskFormat: 'qcow2', properties: { ...common, os_shutdown_timeout: '30' } },
    { name: 'lifeboat-rescue', file: images.rescueDisk, diskFormat: 'qcow2', properties: { ...common, hw_rescue_device: 'disk', hw_rescue_bus: 'virtio' } },
    { name: 'lifeboat-rescue-cdrom', file: images.rescueIso, diskFormat: 'iso', properties: { ...common, hw_rescue_device: 'cdrom', hw_rescue_bus: 'scsi' } },
    { name: 'lifeboat-rescue-usb', file: images.rescueDiskAllBuses, diskFormat: 'qcow2', properties: { ...common, hw_rescue_device: 'disk', hw_rescue_bus: 'usb' } },
  ]
}

/** The Debian cloud image as `lifeboat images build --debian --upload` puts it into the image service (log in as `debian`). */
export function debianUploadItem(image: BuiltDebianImage): UploadItem {
  return {
    name: 'lifeboat-debian', file: image.image, diskFormat: 'qcow2',
    properties: { lifeboat_build: image.key, os_distro: 'debian', os_version: '12', os_admin_user: 'debian', os_shutdown_timeout: '60' },
  }
}

async function glance(session: { token: string; imageUrl: string }, method: string, route: string, body?: unknown, contentType = 'application/json'): Promise<Response> {
  return fetch(`${session.imageUrl}/v2${route}`, {
    method, headers: { 'x-auth-token': session.token, ...(body === undefined ? {} : { 'content-type': contentType }) },
    body: body === undefined ? undefined : contentType === 'application/json' ? JSON.stringify(body) : (body as BodyInit),
    duplex: 'half',
  } as RequestInit)
}

/**
 * Creates each image (visibility as asked) and uploads its file. An active
 * image of the same name from the same build is reused, so running the
 * command twice uploads nothing new.
 */
export async function uploadImages(session: { token: string; imageUrl: string }, items: UploadItem[], visibility: 'public' | 'private' | 'shared' | 'community'): Promise<UploadResult[]> {
  const results: UploadResult[] = []
  for (const item of items) {
    const listed = await glance(session, 'GET', `/images?name=${encodeURIComponent(item.name)}`)
    const existing = ((await listed.json()) as { images?: Array<Record<string, unknown>> }).images ?? []
    const same = existing.find((image) => image.status === 'active' && image.lifeboat_build === item.properties.lifeboat_build)
    if (same) {
      results.push({ name: item.name, id: String(same.id), reused: true })
      continue
    }
    const created = await glance(session, 'POST', '/images', { name: item.name, disk_format: item.diskFormat, container_format: 'bare', visibility, ...item.properties })
    if (created.status !== 201) throw new Error(`creating image ${item.name} failed: ${created.status} ${await created.text()}`)
    const id = String(((await created.json()) as { id: string }).id)
    const stream = fs.createReadStream(item.file)
    const uploaded = await glance(session, 'PUT', `/images/${id}/file`, stream, 'application/octet-stream')
    if (uploaded.status !== 204) throw new Error(`uploading ${item.file} to image ${item.name} failed: ${uploaded.status} ${await uploaded.text()}`)
    results.push({ name: item.name, id, reused: false })
  }
  return results
}
