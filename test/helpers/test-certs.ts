import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/** Throwaway TLS material in a temporary folder (P-256 keys: made in milliseconds). */
export interface TestCerts {
  dir: string
  /** A CA and a server certificate it signed (SAN IP:127.0.0.1, DNS:localhost), with its key. */
  caCert: string
  serverCert: string
  serverKey: string
  /** A self-signed server certificate (same names) and its key: its own CA. */
  selfSignedCert: string
  selfSignedKey: string
  /** Another CA, which signed nothing here: trusting it verifies nothing. */
  otherCaCert: string
  remove(): void
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']
const SERVER_NAMES = 'subjectAltName=IP:127.0.0.1,DNS:localhost'

function openssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] })
}

function makeCa(dir: string, name: string): void {
  openssl(['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/CN=Lifeboat test ${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir)
}

/** Makes the CA, the certificates and keys with the openssl CLI; `extraIps` are more addresses the server certificate names. */
export function makeTestCerts(extraIps: string[] = []): TestCerts {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lifeboat-tls-'))
  makeCa(dir, 'ca')
  makeCa(dir, 'other-ca')
  openssl(['req', ...EC_KEY, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir)
  fs.writeFileSync(path.join(dir, 'server.ext'), `${SERVER_NAMES}${extraIps.map((ip) => `,IP:${ip}`).join('')}\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n`)
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext'], dir)
  openssl(['req', '-x509', ...EC_KEY, '-keyout', 'self.key', '-out', 'self.pem', '-days', '2', '-subj', '/CN=localhost', '-addext', SERVER_NAMES], dir)
  const file = (name: string) => path.join(dir, name)
  return {
    dir, caCert: file('ca.pem'), serverCert: file('server.pem'), serverKey: file('server.key'),
    selfSignedCert: file('self.pem'), selfSignedKey: file('self.key'), otherCaCert: file('other-ca.pem'),
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  }
}
