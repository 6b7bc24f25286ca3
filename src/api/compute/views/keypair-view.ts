import { isAtLeast, type Microversion } from '../../common/microversion.js'
import type { KeypairRecord } from '../../../services/compute/keypair-service.js'
import { novaTime } from '../../../services/time.js'

/** The create/import answer: `private_key` only for a generated key, `type` from 2.2. */
export function keypairCreatedView(keypair: KeypairRecord, privateKey: string | undefined, mv: Microversion) {
  return {
    keypair: {
      ...(privateKey !== undefined ? { private_key: privateKey } : {}),
      ...(isAtLeast(mv, '2.2') ? { type: keypair.type } : {}),
      name: keypair.name,
      public_key: keypair.publicKey,
      fingerprint: keypair.fingerprint,
      user_id: keypair.userId,
    },
  }
}

/** One entry of `GET /os-keypairs` (`type` from 2.2). */
export function keypairSummaryView(keypair: KeypairRecord, mv: Microversion) {
  return {
    keypair: {
      name: keypair.name,
      public_key: keypair.publicKey,
      fingerprint: keypair.fingerprint,
      ...(isAtLeast(mv, '2.2') ? { type: keypair.type } : {}),
    },
  }
}

/** `GET /os-keypairs/{name}`: Nova's row fields too (`id`, `deleted`, timestamps). */
export function keypairView(keypair: KeypairRecord, mv: Microversion) {
  return {
    keypair: {
      name: keypair.name,
      public_key: keypair.publicKey,
      fingerprint: keypair.fingerprint,
      user_id: keypair.userId,
      created_at: novaTime(keypair.createdAt),
      deleted: false,
      deleted_at: null,
      updated_at: null,
      id: keypair.id,
      ...(isAtLeast(mv, '2.2') ? { type: keypair.type } : {}),
    },
  }
}
