import { STANDARD_RESOURCE_CLASSES, STANDARD_TRAITS } from '../placement/standard-traits.js'
import { InvalidRequest } from '../errors.js'
import { strictBoolString } from '../../util/bool-string.js'

type ValueRule =
  | { type: 'bool' }
  | { type: 'int'; min?: number; max?: number }
  | { type: 'str'; enum?: readonly string[]; pattern?: string }

interface SpecRule {
  /** Full-match regex for the key. */
  name: RegExp
  value: ValueRule
}

const GROUP = '(?:[a-zA-Z0-9_-]{1,64})?'
const CPU_MASK = String.raw`\^?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*`
const str = (values: readonly string[]): ValueRule => ({ type: 'str', enum: values })
const int = (min?: number, max?: number): ValueRule => ({ type: 'int', min, max })
const bool: ValueRule = { type: 'bool' }

// The `hw:` validators of nova/api/validation/extra_specs/hw.py (names, types and bounds).
const HW: Record<string, ValueRule> = {
  cpu_realtime: bool, cpu_realtime_mask: { type: 'str', pattern: String.raw`(\^)?\d+((-\d+)?(,\^?\d+(-\d+)?)?)*` },
  hide_hypervisor_id: bool, cpu_policy: str(['dedicated', 'shared', 'mixed']),
  cpu_thread_policy: str(['prefer', 'isolate', 'require']), emulator_threads_policy: str(['isolate', 'share']),
  cpu_dedicated_mask: { type: 'str', pattern: CPU_MASK },
  mem_page_size: { type: 'str', pattern: String.raw`(large|small|any|\d+([kKMGT]i?)?(b|bit|B)?)` },
  locked_memory: bool, numa_nodes: int(1), pci_numa_affinity_policy: str(['required', 'preferred', 'legacy', 'socket']),
  cpu_sockets: int(1), cpu_cores: int(1), cpu_threads: int(1), cpu_max_sockets: int(1), cpu_max_cores: int(1), cpu_max_threads: int(1),
  boot_menu: bool, vif_multiqueue_enabled: bool, mem_encryption: bool, mem_encryption_model: str(['amd-sev', 'amd-sev-es', 'amd-sev-snp']),
  pmem: { type: 'str', pattern: '([a-zA-Z0-9_]+(,)?)+' }, pmu: bool, serial_port_count: int(0),
  tpm_model: str(['tpm-tis', 'tpm-crb']), tpm_version: str(['1.2', '2.0']), tpm_secret_security: str(['user', 'host', 'deployment']),
  watchdog_action: str(['none', 'pause', 'poweroff', 'reset', 'disabled']), viommu_model: str(['intel', 'smmuv3', 'virtio', 'auto']),
  virtio_packed_ring: bool, sound_model: str(['sb16', 'es1370', 'pcspk', 'ac97', 'ich6', 'ich9', 'usb', 'virtio']),
  usb_model: str(['none', 'nec-xhci', 'qemu-xhci']), redirected_usb_ports: int(0, 15), ephemeral_encryption: bool,
  ephemeral_encryption_format: str(['plain', 'luks', 'luksv2']),
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

const RULES: SpecRule[] = [
  ...Object.entries(HW).map(([name, value]) => ({ name: new RegExp(`^hw:${escape(name)}$`), value })),
  { name: /^hw:numa_cpus\.\d+$/, value: { type: 'str', pattern: CPU_MASK } },
  { name: /^hw:numa_mem\.\d+$/, value: int(1) },
  ...STANDARD_TRAITS.map((t) => ({ name: new RegExp(`^trait${GROUP}:${escape(t)}$`), value: str(['required', 'forbidden']) })),
  { name: new RegExp(`^trait${GROUP}:CUSTOM_[A-Z0-9_]+$`), value: str(['required', 'forbidden']) },
  ...STANDARD_RESOURCE_CLASSES.map((rc) => ({ name: new RegExp(`^resources${GROUP}:${escape(rc)}$`), value: int() })),
  { name: new RegExp(`^resources${GROUP}:CUSTOM_[A-Z0-9_]+$`), value: int() },
]

/** Namespaces whose keys must match a known validator (Nova also knows others; those are passed through). */
const NAMESPACES = [/^hw$/, new RegExp(`^trait${GROUP}$`), new RegExp(`^resources${GROUP}$`)]

function checkValue(rule: ValueRule, value: string): void {
  if (rule.type === 'int') {
    if (!/^\s*[-+]?\d+\s*$/.test(value)) throw new InvalidRequest(`Validation failed; '${value}' is not a valid integer value.`)
    const n = Number(value)
    if (rule.max !== undefined && rule.max < n) throw new InvalidRequest(`Validation failed; '${value}' is greater than the max value of '${rule.max}'.`)
    if (rule.min !== undefined && rule.min > n) throw new InvalidRequest(`Validation failed; '${value}' is less than the min value of '${rule.min}'.`)
  } else if (rule.type === 'bool') {
    if (strictBoolString(value) === undefined) {
      throw new InvalidRequest(`Validation failed; '${value}' is not a valid boolean-like value.`)
    }
  } else if (rule.pattern !== undefined) {
    if (!new RegExp(`^(?:${rule.pattern})$`).test(value)) throw new InvalidRequest(`Validation failed; '${value}' is not of the format '${rule.pattern}'.`)
  } else if (rule.enum && !rule.enum.includes(value)) {
    throw new InvalidRequest(`Validation failed; '${value}' is not one of: ${rule.enum.join(', ')}.`)
  }
}

/**
 * Nova's extra spec validation (microversion 2.86+, api/validation/extra_specs/validators.py):
 * a key matching a known spec must have a valid value; an unknown key in a known
 * namespace (`hw:`, `trait:`, `resources:`) is refused; anything else passes.
 */
export function validateExtraSpec(name: string, value: string): void {
  const rule = RULES.find((r) => r.name.test(name))
  if (rule) {
    checkValue(rule.value, value)
    return
  }
  const colon = name.indexOf(':')
  if (colon < 0) return
  const namespace = name.slice(0, colon)
  if (!NAMESPACES.some((ns) => ns.test(namespace))) return
  throw new InvalidRequest(`Validation failed; extra spec '${name}' does not appear to be a valid extra spec.`)
}
