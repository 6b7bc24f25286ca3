/**
 * The query keys each network collection accepts as filters: the attributes
 * neutron-lib (and neutron/extensions) mark `is_filter` among those Lifeboat
 * shows, with `project_id` beside `tenant_id` (api_common `populate_project_info`),
 * the standard attributes `description` and `revision_number`, and the tag
 * filters where the collection takes tags. With Neutron's `filter-validation`
 * (on by default) any other key is a 400; `created_at`/`updated_at` are not filters.
 */

const TAG_FILTERS = ['tags', 'tags-any', 'not-tags', 'not-tags-any']
const COMMON = ['id', 'tenant_id', 'project_id', 'description', 'revision_number']

function filters(...keys: string[]): ReadonlySet<string> {
  return new Set([...COMMON, ...keys])
}

/** Collection path (as the URL names it) → its filter keys. */
export const LIST_FILTERS: Readonly<Record<string, ReadonlySet<string>>> = {
  networks: filters('name', 'admin_state_up', 'status', 'shared', 'mtu', 'router:external', 'is_default', 'provider:network_type',
    'provider:physical_network', 'provider:segmentation_id', ...TAG_FILTERS),
  subnets: filters('name', 'network_id', 'ip_version', 'cidr', 'gateway_ip', 'enable_dhcp', 'ipv6_ra_mode', 'ipv6_address_mode', 'subnetpool_id',
    'segment_id', 'shared', ...TAG_FILTERS),
  ports: filters('name', 'network_id', 'mac_address', 'admin_state_up', 'status', 'device_id', 'device_owner', 'fixed_ips', 'binding:host_id',
    'ip_allocation', 'security_groups', ...TAG_FILTERS),
  // A router's `status` is shown but not a filter (neutron-lib l3.py).
  routers: filters('name', 'admin_state_up', ...TAG_FILTERS),
  floatingips: filters('floating_ip_address', 'floating_network_id', 'router_id', 'port_id', 'fixed_ip_address', 'status', ...TAG_FILTERS),
  'security-groups': filters('name', 'stateful', 'shared', ...TAG_FILTERS),
  'security-group-rules': filters('security_group_id', 'remote_group_id', 'direction', 'protocol', 'port_range_min', 'port_range_max', 'ethertype',
    'remote_ip_prefix', 'remote_address_group_id', 'normalized_cidr', 'belongs_to_default_sg'),
}
