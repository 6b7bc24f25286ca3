import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema.js'
import { DEFAULT_DOMAIN_ID, IdentityDirectory } from './directory.js'
import { ROLE_HIERARCHY } from '../policy.js'
import { generatePassword } from './passwords.js'
import { seedTopology } from '../network/topology.js'

/** A user created at first start, with the only copy of its password. */
export interface BootstrapAccount {
  userName: string
  projectName: string
  role: string
  password: string
}

/**
 * First start: the default domain, the roles reader ⊂ member ⊂ admin, an
 * `admin` user in project `admin` and a `demo` user (member) in project `demo`,
 * and the DevStack-like network topology (`public`, `private`, `router1`:
 * network/topology.ts), all in one transaction that also runs `persist` with the new accounts (it
 * writes clouds.yaml): if `persist` fails, or the process dies before the
 * commit, no account exists and the next start begins again — an operator is
 * never left with accounts whose passwords nobody saw.
 * Returns the generated accounts, or an empty list when they already exist.
 */
export async function bootstrapIdentity(
  db: Kysely<Database>, passwords: { admin?: string; demo?: string } = {}, persist: (accounts: BootstrapAccount[]) => void | Promise<void> = () => {},
): Promise<BootstrapAccount[]> {
  return db.transaction().execute(async (trx) => {
    const directory = new IdentityDirectory(trx)
    const created = await createAccounts(directory, passwords)
    if (created.length > 0) await seedTopologyIfNone(trx, directory)
    if (created.length > 0) await persist(created)
    return created
  })
}

/** The first-start topology, unless a network exists or the `admin` or `demo` project is gone. */
async function seedTopologyIfNone(trx: Kysely<Database>, directory: IdentityDirectory): Promise<boolean> {
  if (await trx.selectFrom('networks').select('id').limit(1).executeTakeFirst()) return false
  const [admin] = await directory.listProjects({ name: 'admin', domainId: DEFAULT_DOMAIN_ID })
  const [demo] = await directory.listProjects({ name: 'demo', domainId: DEFAULT_DOMAIN_ID })
  if (!admin || !demo) return false
  await seedTopology(trx, { adminProjectId: admin.id, demoProjectId: demo.id })
  return true
}

/** The migration that created the network tables: a database it ran on after the accounts existed is an upgraded one. */
export const NETWORK_MIGRATION = '2026-12-05-001-network'

/**
 * An upgraded data folder (accounts made by a Lifeboat without networks)
 * gets the first-start topology once: by the start (or operator command)
 * whose migrations created the network tables (`appliedMigrations` holds
 * NETWORK_MIGRATION), in one transaction, only when the bootstrap accounts
 * exist and no network does. A later start never seeds again, so networks
 * an operator deleted stay deleted. Returns whether it seeded.
 */
export async function seedUpgradedTopology(db: Kysely<Database>, appliedMigrations: string[]): Promise<boolean> {
  if (!appliedMigrations.includes(NETWORK_MIGRATION)) return false
  return db.transaction().execute(async (trx) => {
    const directory = new IdentityDirectory(trx)
    const bootstrapped = (await directory.listUsers({ name: 'admin', domainId: DEFAULT_DOMAIN_ID })).length > 0
    return bootstrapped && seedTopologyIfNone(trx, directory)
  })
}

async function createAccounts(directory: IdentityDirectory, passwords: { admin?: string; demo?: string }): Promise<BootstrapAccount[]> {
  await directory.ensureDefaultDomain()
  const existingRoles = new Map((await directory.listRoles()).map((r) => [r.name, r.id]))
  for (const name of ROLE_HIERARCHY) {
    if (!existingRoles.has(name)) existingRoles.set(name, (await directory.createRole({ name })).id)
  }
  const created: BootstrapAccount[] = []
  const wanted = [
    { userName: 'admin', projectName: 'admin', role: 'admin', password: passwords.admin },
    { userName: 'demo', projectName: 'demo', role: 'member', password: passwords.demo },
  ]
  for (const account of wanted) {
    if ((await directory.listUsers({ name: account.userName, domainId: DEFAULT_DOMAIN_ID })).length > 0) continue
    const project = (await directory.listProjects({ name: account.projectName, domainId: DEFAULT_DOMAIN_ID }))[0]
      ?? (await directory.createProject({ name: account.projectName, description: `Bootstrap project ${account.projectName}` }))
    const password = account.password ?? generatePassword()
    const user = await directory.createUser({ name: account.userName, password, defaultProjectId: project.id })
    await directory.grantRole(project.id, user.id, existingRoles.get(account.role)!)
    created.push({ userName: account.userName, projectName: account.projectName, role: account.role, password })
  }
  return created
}
