import path from 'node:path'
import { startComputeAgent, type ComputeAgent } from '../../src/agent/compute-agent.js'
import { createDriver } from '../../src/virt/driver-factory.js'
import type { TestCloud } from './cloud.js'

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined }

/**
 * Registers one more compute host on a test cloud: an agent in this process with
 * the driver the cloud's configuration names (its embedded agent's, so both hosts
 * alike), its own state folder under the cloud's data folder, and a credential
 * issued as `lifeboat agent-credential` would. Stop it before closing the cloud.
 */
export async function startExtraAgent(cloud: TestCloud, host: string): Promise<ComputeAgent> {
  const config = cloud.running.config
  const stateDir = path.join(config.dataDir, `agent-${host}`)
  const { driver } = await createDriver({ ...config.agent, shutdownTimeoutSeconds: config.compute.shutdownTimeoutSeconds }, stateDir)
  const credential = await cloud.running.services.agents.issueCredential(host)
  return startComputeAgent({ controlUrl: cloud.url, host, credential, driver, stateDir, log: quiet })
}
