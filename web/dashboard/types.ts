// The fields of the OpenStack resources the dashboard reads (Nova, Glance, Neutron shapes).

/** A Nova server (`GET /servers/detail`). */
export interface Server {
  id: string
  name: string
  status: string
  'OS-EXT-STS:task_state'?: string | null
  'OS-EXT-STS:power_state'?: number
  image: { id: string } | ''
  flavor: { original_name?: string; id?: string }
  key_name?: string | null
  addresses: Record<string, Array<{ addr: string; 'OS-EXT-IPS:type'?: string }>>
  created: string
  fault?: { message: string }
}

/** A Glance image. */
export interface Image {
  id: string
  name: string | null
  status: string
  hw_rescue_device?: string
  hw_rescue_bus?: string
  min_disk?: number
}

/** A Nova flavor. */
export interface Flavor {
  id: string
  name: string
  vcpus: number
  ram: number
  disk: number
}

/** A Neutron network. */
export interface Network {
  id: string
  name: string
  'router:external'?: boolean
}

/** A Nova key pair. */
export interface Keypair {
  name: string
  fingerprint: string
  public_key: string
  private_key?: string
}

/** A Neutron floating IP. */
export interface FloatingIp {
  id: string
  floating_ip_address: string
  floating_network_id: string
  port_id: string | null
  fixed_ip_address: string | null
  status: string
}

/** A Neutron port (to associate a floating IP with a server's NIC). */
export interface Port {
  id: string
  device_id: string
  fixed_ips: Array<{ ip_address: string }>
}

/** One event of an instance action: each rescue step is one. */
export interface ActionEvent {
  event: string
  start_time: string
  finish_time: string | null
  result: string | null
}

/** A Nova instance action (`os-instance-actions`). */
export interface InstanceAction {
  action: string
  request_id: string
  start_time: string
  message: string | null
  events?: ActionEvent[]
}

/** One server's rescue run (`/lifeboat/v1`: a fleet run's member, or a single run). */
export interface ServerRun {
  id: string
  server_id: string
  rescue_run_id: string | null
  state: string
  reason: string | null
  unrescue: string
  discard_on_failure: boolean
  timeout: number
  exit_status: number | null
  timed_out: boolean | null
  duration_ms: number | null
  output: string | null
  output_truncated: boolean | null
  request_id: string | null
  created_at: string
  started_at: string | null
  finished_at: string | null
}

/** A fleet rescue run (`/lifeboat/v1/rescue-runs`); the script is never shown. */
export interface RescueRun {
  id: string
  project_id: string
  state: string
  reason: string | null
  unrescue: string
  discard_on_failure: boolean
  timeout: number
  servers_selector: { ids?: string[]; name?: string; tag?: string; status?: string }
  max_in_flight: number
  error_budget: { count: number | null; percent: number | null }
  canary: number
  counts: Record<string, number>
  created_at: string
  finished_at: string | null
  servers?: ServerRun[]
}

/** One finding of a server's diagnosis (`/lifeboat/v1/servers/{id}/diagnosis`). */
export interface Finding {
  rule: string
  title: string
  severity: string
  explanation: string
  lines: Array<{ number: number; text: string }>
  line_count: number
  repair_script: string
}
