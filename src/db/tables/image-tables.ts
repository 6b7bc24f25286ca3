/** Row types of the image tables. Booleans are 0/1, times ISO strings, sizes in bytes. */
export interface ImagesTable {
  id: string
  name: string | null
  status: string
  visibility: string
  owner: string
  disk_format: string | null
  container_format: string | null
  size: number | null
  virtual_size: number | null
  min_disk: number
  min_ram: number
  protected: number
  os_hidden: number
  checksum: string | null
  os_hash_algo: string | null
  os_hash_value: string | null
  created_at: string
  updated_at: string
}

/** One custom property (`hw_rescue_bus=virtio`); Glance keeps every value as a string. */
export interface ImagePropertiesTable {
  image_id: string
  name: string
  value: string
}

export interface ImageTagsTable {
  image_id: string
  value: string
}

/** A project an image is shared with, and whether it accepted. */
export interface ImageMembersTable {
  image_id: string
  member: string
  status: string
  created_at: string
  updated_at: string
}

export interface ImageTables {
  images: ImagesTable
  image_properties: ImagePropertiesTable
  image_tags: ImageTagsTable
  image_members: ImageMembersTable
}
