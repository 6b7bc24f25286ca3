import type { Logger } from 'pino'
import type { LifeboatConfig } from '../config.js'
import type { DatabaseHandle } from '../db/database.js'
import { IdentityDirectory } from './identity/directory.js'
import { TokenService } from './identity/tokens.js'
import { ImageService } from './image/image-service.js'
import { VolumeService } from './volume/volume-service.js'
import { PlacementService } from './placement/placement-service.js'
import { FlavorService } from './compute/flavor-service.js'
import { KeypairService } from './compute/keypair-service.js'
import { SecurityGroupService } from './compute/security-group-service.js'
import { ComputeService } from './compute/compute-service.js'
import type { AgentGateway } from './compute/agent-gateway.js'
import type { ServiceDeps } from './service-deps.js'

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
  compute: ComputeService
  /** The internal agent API's service side (the same object as `compute.agents`). */
  agents: AgentGateway
}

/** Wires the services together over the database; each logs through a child of `log` with its `component`. */
export function createServices(config: LifeboatConfig, database: DatabaseHandle, log: Logger): Services {
  const tokens = new TokenService(database.db, config.tokenTtlSeconds)
  const directory = new IdentityDirectory(database.db, () => tokens.invalidateCache())
  const deps = (component: string): ServiceDeps => ({ config, db: database.db, dialect: database.dialect, log: log.child({ component }), services: () => services })
  const services: Services = {
    tokens,
    directory,
    images: new ImageService(deps('image')),
    volumes: new VolumeService(deps('volume')),
    placement: new PlacementService(deps('placement')),
    flavors: new FlavorService(deps('flavors')),
    keypairs: new KeypairService(deps('keypairs')),
    securityGroups: new SecurityGroupService(deps('security-groups')),
    compute: undefined as unknown as ComputeService,
    agents: undefined as unknown as AgentGateway,
  }
  services.compute = new ComputeService(deps('compute'))
  services.agents = services.compute.agents
  return services
}
