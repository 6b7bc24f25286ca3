import type { Logger } from 'pino'
import type { LifeboatConfig } from '../config.js'
import type { DatabaseHandle } from '../db/database.js'
import { IdentityDirectory } from './identity/directory.js'
import { TokenService } from './identity/tokens.js'
import { ImageService } from './image/image-service.js'
import { VolumeService } from './volume/volume-service.js'
import type { NbdVolumeExports } from './volume/volume-exports.js'
import { PlacementService } from './placement/placement-service.js'
import { FlavorService } from './compute/flavor-service.js'
import { KeypairService } from './compute/keypair-service.js'
import { SecurityGroupService } from './compute/security-group-service.js'
import { ComputeHostService } from './compute/compute-hosts.js'
import { LimitsService } from './compute/project-limits.js'
import { QuotaSetService } from './compute/quota-sets.js'
import { ServerGroupService } from './compute/server-group-service.js'
import { AggregateService } from './compute/aggregate-service.js'
import { MigrationService } from './compute/migration-service.js'
import { TaskQueue } from './tasks/task-queue.js'
import { Conductor } from './compute/conductor.js'
import { AgentGateway } from './compute/agent-gateway.js'
import { ComputeService } from './compute/compute-service.js'
import { DiagnosisService } from './diagnosis/diagnosis-service.js'
import { loadRules } from './diagnosis/rule-loader.js'
import { MetricsService } from './metrics/metrics-service.js'
import { NetworkService } from './network/network-service.js'
import { NetworkSecurityGroups } from './network/security-groups.js'
import { L3Service } from './network/l3-service.js'
import { NovaFloatingIps } from './network/nova-floating-ips.js'
import { visibleTaggable } from './network/l3-tags.js'
import { ConsoleTokens } from './consoles/console-tokens.js'
import { ConsoleAccess } from './consoles/console-access.js'
import { ConsoleBroker, type ConsoleDialBack } from './consoles/console-broker.js'

/** Every service of the control plane, built once per process over one database. */
export interface Services {
  tokens: TokenService
  directory: IdentityDirectory
  images: ImageService
  volumes: VolumeService
  placement: PlacementService
  flavors: FlavorService
  keypairs: KeypairService
  securityGroups: SecurityGroupService
  /** Compute hosts for the admin APIs and a server's host status. */
  computeHosts: ComputeHostService
  /** A project's compute quotas and usage (`GET /limits`). */
  limits: LimitsService
  /** Nova's `os-quota-sets`: show and change a project's compute quotas. */
  computeQuotas: QuotaSetService
  /** Nova's `os-server-groups`. */
  serverGroups: ServerGroupService
  /** Nova's `os-aggregates`: host aggregates and the availability zones they make. */
  aggregates: AggregateService
  /** Nova's migration views: `os-migrations` and `servers/{id}/migrations`. */
  migrations: MigrationService
  compute: ComputeService
  /** The internal agent API's service side (the same object as `compute.agents`). */
  agents: AgentGateway
  /** The operator's Prometheus metrics (`GET /metrics`). */
  metrics: MetricsService
  /** The network service (Neutron v2.0 subset): networks, subnets, ports; `network.servers` is Nova's side of it. */
  network: NetworkService
  /** Neutron's security groups and rules (`/v2.0/security-groups`, `/v2.0/security-group-rules`). */
  networkSecurityGroups: NetworkSecurityGroups
  /** Neutron's routers and floating IPs (`/v2.0/routers`, `/v2.0/floatingips`). */
  l3: L3Service
  /** Nova's ≤ 2.35 floating-IP proxy (`os-floating-ips`, `addFloatingIp`…) over `l3`. */
  novaFloatingIps: NovaFloatingIps
  /** Console URL tokens (issued by the compute API, validated by the console proxy). */
  consoleTokens: ConsoleTokens
  /** The console proxy's token and instance check. */
  consoleAccess: ConsoleAccess
  /**
   * The console dial-back rendezvous (in memory, one per process): the API layer
   * puts its websockets in (see `api/console/console-streams.ts` for the typed view).
   */
  consoleBroker: ConsoleBroker<ConsoleDialBack>
  /** Lifeboat's console-log diagnosis (`/lifeboat/v1/servers/{id}/diagnosis`). */
  diagnosis: DiagnosisService
}

/** What the process hands in from outside the services (server.ts). */
export interface ServicesOptions {
  /** The NBD transport of volumes (LIFEBOAT_VOLUME_TRANSPORT=nbd); null or absent: files. */
  volumeExports?: NbdVolumeExports | null
}

/**
 * Wires the services together over the database, each given only what it
 * uses, in dependency order: a service is built after those it calls.
 * This is the whole dependency graph between services. Each logs through
 * a child of `log` with its `component`.
 */
export function createServices(config: LifeboatConfig, database: DatabaseHandle, log: Logger, options: ServicesOptions = {}): Services {
  const { db } = database
  /** The database and a logger named for the component. */
  const store = (component: string) => ({ db, log: log.child({ component }) })
  const tokens = new TokenService(db, config.tokenTtlSeconds)
  const directory = new IdentityDirectory(db, () => tokens.invalidateCache())
  const images = new ImageService({ ...store('image'), config })
  const volumes = new VolumeService({ ...store('volume'), config, images }, undefined, options.volumeExports ?? null)
  const placement = new PlacementService(store('placement'))
  const flavors = new FlavorService(store('flavors'))
  const keypairs = new KeypairService(store('keypairs'))
  const computeHosts = new ComputeHostService(store('compute-hosts'), config.compute.serviceDownSeconds)
  const limits = new LimitsService(store('limits'))
  const metrics = new MetricsService(store('metrics'), config.metricsToken, config.compute.serviceDownSeconds)
  const computeQuotas = new QuotaSetService(store('compute-quotas'))
  const serverGroups = new ServerGroupService(store('server-groups'))
  const tasks = new TaskQueue(db)
  tasks.onEnded((kind, outcome, seconds) => metrics.observeTask(kind, outcome, seconds))
  const networkSecurityGroups = new NetworkSecurityGroups({ ...store('network-security-groups'), tasks })
  const l3 = new L3Service({ ...store('l3'), tasks, floatingIpPortOffset: config.compute.floatingIpPortOffset })
  const network = new NetworkService(store('network'), {
    portSecurityGroups: networkSecurityGroups.portGroups, forwardsOf: (ids) => l3.forwardsOf(ids), portSecurityChanged: (ids) => l3.portSecurityChanged(ids), taggable: visibleTaggable,
  })
  const securityGroups = new SecurityGroupService({ ...store('security-groups'), tasks })
  // DevStack's `[neutron] default_floating_pool = public`, the external network of the first-start topology.
  const novaFloatingIps = new NovaFloatingIps({ ...store('nova-floating-ips'), l3, servers: network.servers, defaultPool: 'public' })
  const conductor = new Conductor({ ...store('conductor'), volumes, placement, network: network.servers }, tasks)
  const agents = new AgentGateway({ ...store('agent-gateway'), config, volumes, images, keypairs, placement, network: network.servers }, tasks)
  const consoleTokens = new ConsoleTokens(store('console-tokens'))
  const compute = new ComputeService({ ...store('compute'), config, volumes, images, keypairs, flavors, securityGroups, placement, network: network.servers, consoles: consoleTokens }, { tasks, conductor, agents })
  const consoleAccess = new ConsoleAccess({ ...store('console-access'), tokens: consoleTokens })
  const diagnosis = new DiagnosisService(compute, loadRules())
  const consoleBroker = new ConsoleBroker<ConsoleDialBack>()
  const aggregates = new AggregateService({ ...store('aggregates'), placement })
  const migrations = new MigrationService(store('migrations'))
  return { tokens, directory, images, volumes, placement, flavors, keypairs, securityGroups, computeHosts, limits, computeQuotas, serverGroups, aggregates, migrations, compute, agents, metrics, network, networkSecurityGroups, l3, novaFloatingIps, consoleTokens, consoleAccess, consoleBroker, diagnosis }
}
