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

/** Wires the services together over the database. */
export function createServices(config: LifeboatConfig, database: DatabaseHandle): Services {
  const tokens = new TokenService(database.db, config.tokenTtlSeconds)
  const directory = new IdentityDirectory(database.db, () => tokens.invalidateCache())
  const deps: ServiceDeps = { config, db: database.db, dialect: database.dialect, services: () => services }
  const services: Services = {
    tokens,
    directory,
    images: new ImageService(deps),
    volumes: new VolumeService(deps),
    placement: new PlacementService(deps),
    flavors: new FlavorService(deps),
    keypairs: new KeypairService(deps),
    securityGroups: new SecurityGroupService(deps),
    compute: undefined as unknown as ComputeService,
    agents: undefined as unknown as AgentGateway,
  }
  services.compute = new ComputeService(deps)
  services.agents = services.compute.agents
  return services
}
