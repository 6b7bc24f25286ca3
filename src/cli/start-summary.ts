import { PRIVATE_CIDR, PUBLIC_CIDR } from '../services/network/topology.js'

/** What the "how to reach a server" block needs to know. */
export interface ReachServerFacts {
  /** LIFEBOAT_FIP_PORT_OFFSET: guest port 22 behind a floating IP is host port 22 + offset. */
  fipPortOffset: number
}

/**
 * The lines `lifeboat` prints after the clouds file: the first-start network
 * topology (network/topology.ts) and the commands that boot a demo server,
 * give it a floating IP and ssh to it (the ssh port is the guest's 22 moved
 * by the offset, docs/floating-ip-forwards.md).
 */
export function reachServerLines(facts: ReachServerFacts): string[] {
  const sshPort = 22 + facts.fipPortOffset
  return [
    'Networks (first start): public (external, floating IPs from ' + PUBLIC_CIDR + '),',
    `  private (demo project, ${PRIVATE_CIDR}) and router1 between them. To reach a server:`,
    '  openstack --os-cloud lifeboat-demo keypair create --public-key ~/.ssh/id_ed25519.pub mykey',
    '  openstack --os-cloud lifeboat-demo server create --image IMAGE --flavor m1.tiny --network private --key-name mykey vm1',
    '  openstack --os-cloud lifeboat-demo floating ip create public',
    '  openstack --os-cloud lifeboat-demo server add floating ip vm1 FLOATING_IP',
    `  ssh -p ${sshPort} root@FLOATING_IP        # guest port 22 is host port ${sshPort} (LIFEBOAT_FIP_PORT_OFFSET)`,
  ]
}

/** The start summary's TLS lines: what every listener serves and what clients trust. */
export function tlsLines(tls: { certFile: string; caFile: string | null } | null): string[] {
  if (!tls) return []
  return [
    `  tls       https and wss on every listener, certificate ${tls.certFile}`,
    tls.caFile
      ? `            clients trust ${tls.caFile} (clouds.yaml cacert; openstack --os-cacert; lifeboat agent --ca-file)`
      : '            clients trust it through the system\'s CA store (no cacert in clouds.yaml; --tls-ca names a CA)',
  ]
}

/**
 * The dashboard's line of the start summary: the page on the API listener
 * (src/api/dashboard), where the printed accounts log in.
 */
export function dashboardLine(baseUrl: string): string {
  return `  dashboard ${baseUrl}/dashboard   (log in with an account below, e.g. demo / project demo)`
}
