import path from 'node:path'

/** Which virt driver the embedded agent uses; `auto` picks QEMU when it is installed. */
export type DriverChoice = 'auto' | 'fake' | 'qemu'

/** Everything an operator can set. Built once by `loadConfig()`, then treated as read-only. */
export interface LifeboatConfig {
  host: string
  port: number
  dataDir: string
  /** `sqlite:/abs/path.db`, a bare file path, or `postgres://…`. */
  databaseUrl: string
  /** Base URL clients reach us at; empty means `http://host:port` once listening. */
  publicUrl: string
  region: string
  tokenTtlSeconds: number
  logLevel: string
  /** A secret a Prometheus scraper presents to `GET /metrics` (LIFEBOAT_METRICS_TOKEN); '' means admin tokens only. */
  metricsToken: string
  /**
   * The console proxy's port (LIFEBOAT_CONSOLE_PORT; Nova's novncproxy 6080 /
   * serialproxy 6083 in one listener); 0 picks a free port at start.
   */
  consolePort: number
  /**
   * TLS for every listener (LIFEBOAT_TLS_CERT / LIFEBOAT_TLS_KEY, absolute
   * paths of PEM files; both or neither): '' serves plain HTTP.
   */
  tlsCert: string
  tlsKey: string
  /**
   * The CA bundle clients should trust (LIFEBOAT_TLS_CA): clouds.yaml's
   * `cacert` and the embedded agent's trust; '' means the certificate itself
   * when it is self-signed (src/util/tls.ts).
   */
  tlsCa: string
  /**
   * How hypervisors reach volumes (LIFEBOAT_VOLUME_TRANSPORT): `file` (the
   * one-host default: QEMU opens the volume files, so every host must see
   * the data folder) or `nbd` (a supervised qemu-storage-daemon beside the
   * control plane exports attached volumes over NBD; docs/architecture.md).
   */
  volumeTransport: 'file' | 'nbd'
  /** The NBD server's listen address (LIFEBOAT_NBD_ADDRESS) and TCP port (LIFEBOAT_NBD_PORT). */
  nbdAddress: string
  nbdPort: number
  /** The host agents dial for NBD (LIFEBOAT_NBD_PUBLIC_HOST); '' means the listen address, or the public URL's host when listening on every address. */
  nbdPublicHost: string
  compute: ComputeConfig
  agent: AgentConfig
}

export interface ComputeConfig {
  /** Nova's `[api] enable_instance_password`: when false, rescue answers `{}`. */
  enableInstancePassword: boolean
  /** Nova's `rescue_timeout` in seconds; 0 turns automatic unrescue off. */
  rescueTimeoutSeconds: number
  /** Nova's `shutdown_timeout` in seconds (image property `os_shutdown_timeout` overrides). */
  shutdownTimeoutSeconds: number
  /** Image used for rescue when neither the request nor the server names one. */
  defaultRescueImage: string
  /** Nova's `service_down_time` in seconds: a compute host not heard from for this long is down. */
  serviceDownSeconds: number
  /**
   * LIFEBOAT_FIP_PORT_OFFSET: a floating IP forwards a guest port below 1024 from host
   * port `guest + offset` (unprivileged processes cannot bind them); 0 keeps every port
   * as it is (root, or `net.ipv4.ip_unprivileged_port_start` low enough). See docs/floating-ip-forwards.md.
   */
  floatingIpPortOffset: number
  /** Nova's `reclaim_instance_interval` in seconds (LIFEBOAT_RECLAIM_INSTANCE_INTERVAL): above 0, DELETE soft-deletes and a periodic job reclaims. */
  reclaimInstanceIntervalSeconds: number
  /** Nova's `resize_confirm_window` in seconds (LIFEBOAT_RESIZE_CONFIRM_WINDOW): above 0, a resize not confirmed or reverted by then is confirmed by a periodic job. */
  resizeConfirmWindowSeconds: number
  /** Nova's `shelved_offload_time` in seconds (LIFEBOAT_SHELVED_OFFLOAD_TIME): 0 offloads at shelve, -1 never, above 0 a periodic job offloads after it. */
  shelvedOffloadTimeSeconds: number
}

export interface AgentConfig {
  driver: DriverChoice
  hostName: string
  /** Whether the fake driver claims `COMPUTE_RESCUE_BFV` (a real host without it refuses BFV rescue). */
  fakeSupportsBfvRescue: boolean
  /** Delay the fake driver adds to each operation, in milliseconds. */
  fakeDelayMs: number
  /** Fake driver operations that fail on purpose (e.g. `rescue`), to exercise failure handling. */
  fakeFailOperations: string[]
  vcpus: number
  memoryMb: number
  diskGb: number
  /** QEMU machine type: `pc` (default) or `q35`. */
  machineType: 'pc' | 'q35'
  leaseSeconds: number
  /**
   * What QEMU guests may reach besides their floating IPs' forwards:
   * `nat` (default: the outside, but neither the host's loopback services
   * nor 169.254.169.254; each QEMU in a network namespace behind slirp4netns,
   * falling back to `isolated` where that cannot run), `isolated` (neither
   * the outside nor the host) or `open` (the outside, and with it the host's
   * loopback services and 169.254.169.254; docs/qemu.md).
   */
  guestEgress: 'nat' | 'isolated' | 'open'
}

/** Options as they arrive from flags or the environment, before defaults. */
export type ConfigInput = Partial<Omit<LifeboatConfig, 'compute' | 'agent'>> & {
  compute?: Partial<ComputeConfig>
  agent?: Partial<AgentConfig>
}

function envString(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

function envNumber(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const value = envString(env, name)
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isFinite(parsed)) throw new Error(`${name} must be a number, got ${JSON.stringify(value)}`)
  return parsed
}

function envBoolean(env: NodeJS.ProcessEnv, name: string): boolean | undefined {
  const value = envString(env, name)
  if (value === undefined) return undefined
  return ['1', 'true', 'yes', 'on'].includes(value.toLowerCase())
}

/** Reads the `LIFEBOAT_*` environment variables into a partial config. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): ConfigInput {
  return {
    host: envString(env, 'LIFEBOAT_HOST'),
    port: envNumber(env, 'LIFEBOAT_PORT'),
    dataDir: envString(env, 'LIFEBOAT_DATA_DIR'),
    databaseUrl: envString(env, 'LIFEBOAT_DATABASE_URL'),
    publicUrl: envString(env, 'LIFEBOAT_PUBLIC_URL'),
    tokenTtlSeconds: envNumber(env, 'LIFEBOAT_TOKEN_TTL'),
    logLevel: envString(env, 'LIFEBOAT_LOG_LEVEL'),
    metricsToken: envString(env, 'LIFEBOAT_METRICS_TOKEN'),
    consolePort: envNumber(env, 'LIFEBOAT_CONSOLE_PORT'),
    tlsCert: envString(env, 'LIFEBOAT_TLS_CERT'),
    tlsKey: envString(env, 'LIFEBOAT_TLS_KEY'),
    tlsCa: envString(env, 'LIFEBOAT_TLS_CA'),
    volumeTransport: envString(env, 'LIFEBOAT_VOLUME_TRANSPORT') as 'file' | 'nbd' | undefined,
    nbdAddress: envString(env, 'LIFEBOAT_NBD_ADDRESS'),
    nbdPort: envNumber(env, 'LIFEBOAT_NBD_PORT'),
    nbdPublicHost: envString(env, 'LIFEBOAT_NBD_PUBLIC_HOST'),
    compute: {
      enableInstancePassword: envBoolean(env, 'LIFEBOAT_ENABLE_INSTANCE_PASSWORD'),
      rescueTimeoutSeconds: envNumber(env, 'LIFEBOAT_RESCUE_TIMEOUT'),
      shutdownTimeoutSeconds: envNumber(env, 'LIFEBOAT_SHUTDOWN_TIMEOUT'),
      defaultRescueImage: envString(env, 'LIFEBOAT_DEFAULT_RESCUE_IMAGE'),
      serviceDownSeconds: envNumber(env, 'LIFEBOAT_SERVICE_DOWN_TIME'),
      floatingIpPortOffset: envNumber(env, 'LIFEBOAT_FIP_PORT_OFFSET'),
      reclaimInstanceIntervalSeconds: envNumber(env, 'LIFEBOAT_RECLAIM_INSTANCE_INTERVAL'),
      resizeConfirmWindowSeconds: envNumber(env, 'LIFEBOAT_RESIZE_CONFIRM_WINDOW'),
      shelvedOffloadTimeSeconds: envNumber(env, 'LIFEBOAT_SHELVED_OFFLOAD_TIME'),
    },
    agent: {
      driver: envString(env, 'LIFEBOAT_DRIVER') as DriverChoice | undefined,
      hostName: envString(env, 'LIFEBOAT_AGENT_HOST_NAME'),
      fakeSupportsBfvRescue: envBoolean(env, 'LIFEBOAT_FAKE_BFV_RESCUE'),
      fakeDelayMs: envNumber(env, 'LIFEBOAT_FAKE_DELAY_MS'),
      fakeFailOperations: envString(env, 'LIFEBOAT_FAKE_FAIL_OPERATIONS')?.split(','),
      machineType: envString(env, 'LIFEBOAT_MACHINE_TYPE') as 'pc' | 'q35' | undefined,
      guestEgress: envString(env, 'LIFEBOAT_GUEST_EGRESS') as 'nat' | 'isolated' | 'open' | undefined,
    },
  }
}

function pickDefined<T extends object>(...layers: Array<Partial<T> | undefined>): Partial<T> {
  const out: Partial<T> = {}
  for (const layer of layers) {
    if (!layer) continue
    for (const [key, value] of Object.entries(layer)) {
      if (value !== undefined) (out as Record<string, unknown>)[key] = value
    }
  }
  return out
}

function fipPortOffset(offset: number): number {
  if (!Number.isInteger(offset) || offset < 0 || offset + 1023 > 65535) throw new Error(`LIFEBOAT_FIP_PORT_OFFSET must be an integer from 0 to 64512, got ${offset}`)
  return offset
}

/** A configured file path made absolute (clouds.yaml names it; the process may change folder); '' stays ''. */
function absolutePath(file: string | undefined): string {
  return file ? path.resolve(file) : ''
}

/** Merges layers (later wins) over the defaults and resolves paths. */
export function loadConfig(...layers: ConfigInput[]): LifeboatConfig {
  const top = pickDefined<LifeboatConfig>(...layers.map(({ compute: _c, agent: _a, ...rest }) => rest))
  const dataDir = path.resolve(top.dataDir ?? './data')
  const compute = pickDefined<ComputeConfig>(...layers.map((l) => l.compute))
  const agent = pickDefined<AgentConfig>(...layers.map((l) => l.agent))
  const driver = agent.driver ?? 'auto'
  if (!['auto', 'fake', 'qemu'].includes(driver)) throw new Error(`driver must be auto, fake or qemu, got ${driver}`)
  const machineType = agent.machineType ?? 'pc'
  if (!['pc', 'q35'].includes(machineType)) throw new Error(`machine type must be pc or q35, got ${machineType}`)
  const volumeTransport = top.volumeTransport ?? 'file'
  if (!['file', 'nbd'].includes(volumeTransport)) throw new Error(`volume transport must be file or nbd, got ${volumeTransport}`)
  const nbdPort = top.nbdPort ?? 10809
  if (!Number.isInteger(nbdPort) || nbdPort < 1 || nbdPort > 65535) throw new Error(`LIFEBOAT_NBD_PORT must be a TCP port, got ${nbdPort}`)
  const guestEgress = agent.guestEgress ?? 'nat'
  if (!['nat', 'isolated', 'open'].includes(guestEgress)) throw new Error(`guest egress must be nat, isolated or open, got ${guestEgress}`)
  return {
    host: top.host ?? '127.0.0.1',
    port: top.port ?? 8774,
    dataDir,
    databaseUrl: top.databaseUrl ?? `sqlite:${path.join(dataDir, 'lifeboat.db')}`,
    publicUrl: (top.publicUrl ?? '').replace(/\/+$/, ''),
    region: top.region ?? 'RegionOne',
    tokenTtlSeconds: top.tokenTtlSeconds ?? 3600,
    logLevel: top.logLevel ?? 'info',
    metricsToken: top.metricsToken ?? '',
    consolePort: top.consolePort ?? 6080,
    tlsCert: absolutePath(top.tlsCert),
    tlsKey: absolutePath(top.tlsKey),
    tlsCa: absolutePath(top.tlsCa),
    volumeTransport,
    nbdAddress: top.nbdAddress ?? '127.0.0.1',
    nbdPort,
    nbdPublicHost: top.nbdPublicHost ?? '',
    compute: {
      enableInstancePassword: compute.enableInstancePassword ?? true,
      rescueTimeoutSeconds: compute.rescueTimeoutSeconds ?? 0,
      shutdownTimeoutSeconds: compute.shutdownTimeoutSeconds ?? 60,
      defaultRescueImage: compute.defaultRescueImage ?? '',
      serviceDownSeconds: compute.serviceDownSeconds ?? 60,
      floatingIpPortOffset: fipPortOffset(compute.floatingIpPortOffset ?? 10000),
      reclaimInstanceIntervalSeconds: Math.max(0, compute.reclaimInstanceIntervalSeconds ?? 0),
      resizeConfirmWindowSeconds: Math.max(0, compute.resizeConfirmWindowSeconds ?? 0),
      shelvedOffloadTimeSeconds: Math.max(-1, Math.trunc(compute.shelvedOffloadTimeSeconds ?? 0)),
    },
    agent: {
      driver,
      hostName: agent.hostName ?? 'lifeboat-compute-1',
      fakeSupportsBfvRescue: agent.fakeSupportsBfvRescue ?? true,
      fakeDelayMs: agent.fakeDelayMs ?? 0,
      fakeFailOperations: agent.fakeFailOperations ?? [],
      vcpus: agent.vcpus ?? 16,
      memoryMb: agent.memoryMb ?? 32768,
      diskGb: agent.diskGb ?? 500,
      machineType,
      leaseSeconds: agent.leaseSeconds ?? 120,
      guestEgress,
    },
  }
}
