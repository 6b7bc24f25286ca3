import type { Kysely } from 'kysely'

// Frozen in time: Kysely<any>, no app imports.
// The network service's model, as Neutron's (neutron/db/models_v2.py, l3, sg):
// booleans are integers 0/1, list-valued subnet attributes JSON text, times
// ISO strings. Ports hold their fixed IPs in `ip_allocations`, whose primary
// key makes an address given twice on one subnet impossible (Neutron's
// IpAllocation key). Router interfaces and gateways, DHCP and floating-IP
// ports are ordinary ports told apart by `device_owner`, as in Neutron.
// Security groups keep the compute tables (security_groups, _rules); the
// network service's own columns for them come in their own migration.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('networks')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('ACTIVE'))
    .addColumn('shared', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('external', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_default', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('mtu', 'integer', (c) => c.notNull().defaultTo(1500))
    .addColumn('port_security_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('network_type', 'varchar(32)', (c) => c.notNull().defaultTo('local'))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('networks_project').on('networks').column('project_id').execute()

  await db.schema
    .createTable('subnets')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('ip_version', 'integer', (c) => c.notNull())
    .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
    .addColumn('gateway_ip', 'varchar(64)')
    .addColumn('enable_dhcp', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('ipv6_ra_mode', 'varchar(16)')
    .addColumn('ipv6_address_mode', 'varchar(16)')
    .addColumn('subnetpool_id', 'varchar(36)')
    // JSON text: [{start, end}], ["8.8.8.8"], [{destination, nexthop}].
    .addColumn('allocation_pools', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('dns_nameservers', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('host_routes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('subnets_network').on('subnets').column('network_id').execute()

  await db.schema
    .createTable('ports')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('mac_address', 'varchar(32)', (c) => c.notNull())
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('DOWN'))
    .addColumn('device_id', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('device_owner', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('binding_host_id', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('binding_vnic_type', 'varchar(64)', (c) => c.notNull().defaultTo('normal'))
    .addColumn('binding_vif_type', 'varchar(64)', (c) => c.notNull().defaultTo('unbound'))
    .addColumn('binding_profile', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('port_security_enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('dns_name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('ports_network_mac', ['network_id', 'mac_address'])
    .execute()
  await db.schema.createIndex('ports_device').on('ports').column('device_id').execute()
  await db.schema.createIndex('ports_project').on('ports').column('project_id').execute()

  await db.schema
    .createTable('ip_allocations')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('subnet_id', 'varchar(36)', (c) => c.notNull().references('subnets.id'))
    .addColumn('network_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('ip_address', 'varchar(64)', (c) => c.notNull())
    .addPrimaryKeyConstraint('ip_allocations_pk', ['subnet_id', 'ip_address'])
    .execute()
  await db.schema.createIndex('ip_allocations_port').on('ip_allocations').column('port_id').execute()

  await db.schema
    .createTable('port_security_groups')
    .addColumn('port_id', 'varchar(36)', (c) => c.notNull().references('ports.id').onDelete('cascade'))
    .addColumn('security_group_id', 'varchar(36)', (c) => c.notNull().references('security_groups.id'))
    .addPrimaryKeyConstraint('port_security_groups_pk', ['port_id', 'security_group_id'])
    .execute()

  await db.schema
    .createTable('routers')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('name', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('admin_state_up', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('ACTIVE'))
    // The gateway is a port on the external network (device_owner network:router_gateway).
    .addColumn('gw_port_id', 'varchar(36)', (c) => c.references('ports.id'))
    .addColumn('enable_snat', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('routes', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .execute()

  await db.schema
    .createTable('floating_ips')
    .addColumn('id', 'varchar(36)', (c) => c.primaryKey())
    .addColumn('project_id', 'varchar(64)', (c) => c.notNull())
    .addColumn('floating_network_id', 'varchar(36)', (c) => c.notNull().references('networks.id'))
    .addColumn('floating_ip_address', 'varchar(64)', (c) => c.notNull())
    // The address's own port (device_owner network:floatingip) holds its allocation.
    .addColumn('floating_port_id', 'varchar(36)', (c) => c.notNull().references('ports.id'))
    .addColumn('fixed_port_id', 'varchar(36)', (c) => c.references('ports.id'))
    .addColumn('fixed_ip_address', 'varchar(64)')
    .addColumn('router_id', 'varchar(36)', (c) => c.references('routers.id'))
    .addColumn('status', 'varchar(16)', (c) => c.notNull().defaultTo('DOWN'))
    .addColumn('description', 'varchar(255)', (c) => c.notNull().defaultTo(''))
    .addColumn('revision_number', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'varchar(32)', (c) => c.notNull())
    .addColumn('updated_at', 'varchar(32)', (c) => c.notNull())
    .addUniqueConstraint('floating_ips_address', ['floating_network_id', 'floating_ip_address'])
    .execute()
  await db.schema.createIndex('floating_ips_fixed_port').on('floating_ips').column('fixed_port_id').execute()

  // Neutron's standard-attribute tags, for every network resource kind.
  await db.schema
    .createTable('network_tags')
    .addColumn('resource_id', 'varchar(36)', (c) => c.notNull())
    .addColumn('tag', 'varchar(255)', (c) => c.notNull())
    .addPrimaryKeyConstraint('network_tags_pk', ['resource_id', 'tag'])
    .execute()
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function down(db: Kysely<any>): Promise<void> {
  for (const table of ['network_tags', 'floating_ips', 'routers', 'port_security_groups', 'ip_allocations', 'ports', 'subnets', 'networks']) {
    await db.schema.dropTable(table).execute()
  }
}
