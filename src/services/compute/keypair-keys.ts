import { X509Certificate, createHash, generateKeyPairSync } from 'node:crypto'
import { InvalidRequest } from '../errors.js'
import { ServiceErrorCode } from '../error-codes.js'

/** A freshly generated SSH keypair; the private key is shown once and never stored. */
export interface GeneratedKeypair {
  privateKey: string
  publicKey: string
  fingerprint: string
}

function colonHex(hex: string): string {
  return hex.toLowerCase().match(/../g)!.join(':')
}

function sshString(data: Buffer): Buffer {
  const length = Buffer.alloc(4)
  length.writeUInt32BE(data.length)
  return Buffer.concat([length, data])
}

function sshMpint(unsigned: Buffer): Buffer {
  let bytes = unsigned
  while (bytes.length > 1 && bytes[0] === 0) bytes = bytes.subarray(1)
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes])
  return sshString(bytes)
}

function invalid(reason: string): InvalidRequest {
  return new InvalidRequest(`Keypair data is invalid: ${reason}`, ServiceErrorCode.INVALID_KEYPAIR)
}

/** Reads the length-prefixed fields of an SSH public key blob; throws when it is malformed. */
function readFields(blob: Buffer): Buffer[] {
  const fields: Buffer[] = []
  let offset = 0
  while (offset < blob.length) {
    if (offset + 4 > blob.length) throw new Error('truncated')
    const length = blob.readUInt32BE(offset)
    offset += 4
    if (offset + length > blob.length) throw new Error('truncated')
    fields.push(blob.subarray(offset, offset + length))
    offset += length
  }
  return fields
}

// Field counts after the type name, per key type (RFC 4253, 5656, 8709; OpenSSH's sk- keys).
const KEY_FIELDS: Record<string, number> = {
  'ssh-rsa': 2, 'ssh-dss': 4, 'ssh-ed25519': 1, 'ssh-ed448': 1,
  'ecdsa-sha2-nistp256': 2, 'ecdsa-sha2-nistp384': 2, 'ecdsa-sha2-nistp521': 2,
  'sk-ecdsa-sha2-nistp256@openssh.com': 3, 'sk-ssh-ed25519@openssh.com': 2,
}

/**
 * Nova's crypto.generate_fingerprint: the key must parse as an SSH public key
 * (`type base64 [comment]`); the fingerprint is the MD5 of its blob in colon hex.
 */
export function sshFingerprint(publicKey: string): string {
  try {
    const parts = publicKey.trim().split(/\s+/)
    const type = parts[0]!
    if (parts.length < 2 || !Object.hasOwn(KEY_FIELDS, type) || !/^[A-Za-z0-9+/]+={0,2}$/.test(parts[1]!)) throw new Error('not ssh')
    const blob = Buffer.from(parts[1]!, 'base64')
    const fields = readFields(blob)
    if (fields[0]?.toString('latin1') !== type || fields.length !== KEY_FIELDS[type]! + 1) throw new Error('bad blob')
    if (type === 'ssh-ed25519' && fields[1]!.length !== 32) throw new Error('bad ed25519 key')
    if (type === 'ssh-rsa' && fields[2]!.length < 64) throw new Error('rsa key too small')
    return colonHex(createHash('md5').update(blob).digest('hex'))
  } catch {
    throw invalid('failed to generate fingerprint')
  }
}

/** Nova's crypto.generate_x509_fingerprint: SHA-1 of a PEM certificate, colon hex. */
export function x509Fingerprint(pem: string): string {
  try {
    return colonHex(new X509Certificate(pem).fingerprint.replace(/:/g, ''))
  } catch (error) {
    throw invalid(`failed to generate X509 fingerprint. Error message: ${(error as Error).message}`)
  }
}

/** Like Nova (crypto.generate_key_pair): a 2048-bit RSA key, the private key as PEM, the public key as `ssh-rsa … Generated-by-Nova`. */
export function generateSshKeypair(): GeneratedKeypair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 65537 })
  const jwk = publicKey.export({ format: 'jwk' })
  const blob = Buffer.concat([
    sshString(Buffer.from('ssh-rsa')),
    sshMpint(Buffer.from(jwk.e!, 'base64url')),
    sshMpint(Buffer.from(jwk.n!, 'base64url')),
  ])
  const openssh = `ssh-rsa ${blob.toString('base64')} Generated-by-Nova`
  return {
    privateKey: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(),
    publicKey: openssh,
    fingerprint: sshFingerprint(openssh),
  }
}
