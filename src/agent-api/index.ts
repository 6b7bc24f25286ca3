/**
 * The contract between the control plane and its compute agents: the only
 * module both sides import. A leaf: it imports nothing from the rest of
 * Lifeboat, so neither side can reach into the other through it.
 */
export * from './values.js'
export * from './tasks.js'
export * from './task-events.js'
export * from './messages.js'
export * from './consoles.js'
export * from './rescue-runs.js'
