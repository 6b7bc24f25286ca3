/** One API extension as `GET /v2.0/extensions` lists it. */
export interface NetworkExtension {
  name: string
  alias: string
  description: string
  updated: string
  links: unknown[]
}

const UPDATED = '2017-12-01T00:00:00-00:00'

function extension(alias: string, name: string, description: string): NetworkExtension {
  return { name, alias, description, updated: UPDATED, links: [] }
}

/**
 * The extensions Lifeboat's network service really serves (clients branch on
 * these aliases: OSC and the SDK before sending `binding:*`, Tempest's
 * `is_extension_enabled`). Modules that add resources (routers, floating IPs,
 * security groups) append their aliases with `registerNetworkExtension`.
 */
export const NETWORK_EXTENSIONS: NetworkExtension[] = [
  extension('binding', 'Port Binding', 'Expose port bindings of a virtual port to external application'),
  extension('filter-validation', 'Filter parameters validation', 'Provides validation on filter parameters.'),
  extension('external-net', 'Neutron external network', 'Adds external network attribute to network resource.'),
  extension('net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'),
  extension('port-security', 'Port Security', 'Provides port security'),
  extension('project-id', 'project_id field enabled', 'Extension that indicates that project_id field is enabled.'),
  extension('provider', 'Provider Network', 'Expose mapping of virtual networks to physical networks'),
  extension('quotas', 'Quota management support', 'Expose functions for quotas management per project'),
  extension('quota_details', 'Quota details management support', 'Expose functions for quotas usage statistics per project'),
  extension('standard-attr-description', 'standard-attr-description', 'Extension to add descriptions to standard attributes'),
  extension('standard-attr-revisions', 'Resource revision numbers', 'This extension will display the revision number of neutron resources.'),
  extension('standard-attr-timestamp', 'Resource timestamps', 'Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.'),
  extension('standard-attr-tag', 'Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip', 'Enables to set tag on resources with standard attribute.'),
  extension('network_availability_zone', 'Network Availability Zone', 'Availability zone support for network.'),
  extension('pagination', 'Pagination support', 'Extension that indicates that pagination is enabled.'),
  extension('sorting', 'Sorting support', 'Extension that indicates that sorting is enabled.'),
]

/** Adds an extension alias once its resources are served. */
export function registerNetworkExtension(alias: string, name: string, description: string): void {
  if (!NETWORK_EXTENSIONS.some((e) => e.alias === alias)) NETWORK_EXTENSIONS.push(extension(alias, name, description))
}
