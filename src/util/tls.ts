import { X509Certificate } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import https, { type AgentOptions } from 'node:https'
import tls from 'node:tls'

/**
 * TLS in one place: what the listeners serve (`loadServerTls`, from the
 * configured files) and what a client of the control plane trusts
 * (`AgentTls` → `agentTlsOptions`, for the agent API client and the console
 * websocket dial-back alike).
 */

/** The configured files (LifeboatConfig's `tlsCert`, `tlsKey`, `tlsCa`; '' = not set). */
export interface TlsFiles {
  tlsCert: string
  tlsKey: string
  tlsCa: string
}

/** A TLS setting that cannot work: its message is one line for the operator. */
export class TlsSetupError extends Error {
  override readonly name = 'TlsSetupError'
}

/** What every listener serves with, and what its clients should trust. */
export interface ServerTls {
  /** `https.createServer` / Fastify `https` options (the same for the API and the console proxy). */
  serverOptions: { cert: string; key: string }
  /** The CA file clients are told to trust (clouds.yaml `cacert`), or null: the system's trust store. */
  caFile: string | null
  /** PEM text a client on this machine trusts to reach the listeners (the CA file, else the certificate chain). */
  trustPem: string
}

function readPem(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch (error) {
    throw new TlsSetupError(`cannot read the TLS ${what} ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}

function parseCertificate(pem: string, file: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem)
  } catch {
    throw new TlsSetupError(`the TLS ${what} ${file} holds no PEM certificate`)
  }
}

/** True for a certificate that signed itself (the usual throwaway certificate): it is its own CA. */
function isSelfSigned(cert: X509Certificate): boolean {
  return cert.checkIssued(cert) && cert.verify(cert.publicKey)
}

/**
 * Reads and checks the configured TLS files: null when TLS is off, else the
 * listener options. Both cert and key or neither; files unreadable, not PEM,
 * or a key that is not the certificate's are a TlsSetupError. Reads only:
 * a start calls it before it creates anything.
 */
export function loadServerTls(files: TlsFiles): ServerTls | null {
  if (!files.tlsCert && !files.tlsKey) {
    if (files.tlsCa) throw new TlsSetupError('a TLS CA (--tls-ca, LIFEBOAT_TLS_CA) was given without --tls-cert and --tls-key')
    return null
  }
  if (!files.tlsCert || !files.tlsKey) {
    throw new TlsSetupError('--tls-cert and --tls-key go together (LIFEBOAT_TLS_CERT and LIFEBOAT_TLS_KEY): give both, or neither for plain HTTP')
  }
  const cert = readPem(files.tlsCert, 'certificate')
  const key = readPem(files.tlsKey, 'key')
  const leaf = parseCertificate(cert, files.tlsCert, 'certificate')
  try {
    tls.createSecureContext({ cert, key })
  } catch (error) {
    throw new TlsSetupError(`the TLS key ${files.tlsKey} does not fit the certificate ${files.tlsCert}: ${(error as Error).message}`)
  }
  let caFile: string | null = null
  let trustPem = cert
  if (files.tlsCa) {
    trustPem = readPem(files.tlsCa, 'CA')
    parseCertificate(trustPem, files.tlsCa, 'CA')
    caFile = files.tlsCa
  } else if (isSelfSigned(leaf)) {
    caFile = files.tlsCert
  }
  return { serverOptions: { cert, key }, caFile, trustPem }
}

/**
 * The server of a listener beside the API (the console proxy): HTTPS with
 * `serverTls` (`loadServerTls(…).serverOptions`, the options the API's
 * Fastify server gets too), plain HTTP without. An https.Server is an
 * http.Server with TLS underneath (`upgrade` for websockets, `listen`,
 * `close` alike), so callers keep one type.
 */
export function createListenerServer(serverTls: ServerTls['serverOptions'] | undefined, handler?: http.RequestListener): http.Server {
  return serverTls ? (https.createServer(serverTls, handler) as unknown as http.Server) : http.createServer(handler)
}

/**
 * How an agent trusts the control plane; plain data (it crosses into the
 * embedded agent's thread). Absent: the system's trust store.
 */
export interface AgentTls {
  /** PEM CA bundle trusted besides the system's roots (`lifeboat agent --ca-file`). */
  ca?: string
  /**
   * The name the certificate must be valid for when it differs from the
   * host connected to (the embedded agent dials 127.0.0.1, the certificate
   * names the public host).
   */
  serverName?: string
  /** What the operator should set when verification fails (default: the remote agent's `--ca-file`). */
  caHint?: string
}

/**
 * `https.Agent` / `https.request` / `ws` options for a client of the control
 * plane: verification stays on; the CA is added to the system's roots, and
 * the certificate is checked against `serverName` when given.
 */
export function agentTlsOptions(agentTls: AgentTls | undefined): Pick<AgentOptions, 'ca' | 'checkServerIdentity'> {
  if (!agentTls) return {}
  const { ca, serverName } = agentTls
  return {
    ...(ca ? { ca: [...tls.rootCertificates, ca] } : {}),
    ...(serverName ? { checkServerIdentity: (_host: string, cert: tls.PeerCertificate) => tls.checkServerIdentity(serverName, cert) } : {}),
  }
}

/** Reads a CA bundle for an agent (`--ca-file`, LIFEBOAT_CA_FILE); a TlsSetupError when it is unreadable or holds no certificate. */
export function readCaFile(file: string): string {
  const pem = readPem(file, 'CA file')
  parseCertificate(pem, file, 'CA file')
  return pem
}

/** Errors of a TLS handshake whose certificate could not be verified (OpenSSL's codes as node reports them). */
const UNVERIFIED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'SELF_SIGNED_CERT_IN_CHAIN', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_UNTRUSTED', 'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_REVOKED', 'INVALID_CA',
])

/**
 * One line for an operator when a connection to the control plane failed
 * for TLS reasons (a certificate that cannot be verified, or plain HTTP to
 * an HTTPS listener), else null.
 */
export function describeTlsFailure(error: unknown, controlUrl: string, caHint = 'give the CA that signed it with --ca-file or LIFEBOAT_CA_FILE'): string | null {
  const code = (error as NodeJS.ErrnoException | undefined)?.code ?? ''
  const message = (error as Error | undefined)?.message ?? String(error)
  if (UNVERIFIED.has(code)) {
    return `cannot verify the TLS certificate of the control plane at ${controlUrl} (${code}: ${message}); ${caHint}`
  }
  if (code === 'EPROTO' && /wrong version number|packet length too long/i.test(message)) {
    return `the control plane at ${controlUrl} does not speak TLS (${message}); use its http:// URL`
  }
  if (controlUrl.startsWith('http:') && (code === 'ECONNRESET' || /socket hang up/.test(message))) {
    return `the control plane at ${controlUrl} closed the connection (${message}); if it serves TLS, use its https:// URL`
  }
  return null
}
