/**
 * Nova's default quotas ([quota] options in nova/conf/quota.py). Lifeboat has
 * no quota API yet, so every project has these limits.
 */
export const DEFAULT_QUOTAS = {
  instances: 10,
  cores: 20,
  ram: 51200,
  metadata_items: 128,
  injected_files: 5,
  injected_file_content_bytes: 10240,
  key_pairs: 100,
  server_groups: 10,
  server_group_members: 10,
  floating_ips: 10,
  security_groups: 10,
  security_group_rules: 20,
} as const
