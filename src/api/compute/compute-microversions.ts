import type { MicroversionSpec } from '../common/microversion.js'

/**
 * The compute API's microversion range. The max is the last version whose
 * request and response changes are all implemented for what Lifeboat serves.
 */
export const COMPUTE_MICROVERSIONS: MicroversionSpec = {
  service: 'compute',
  min: '2.1',
  max: '2.87',
  legacyHeader: 'X-OpenStack-Nova-API-Version',
}
