import { CONTAINER_FORMATS, DISK_FORMATS } from '../../services/image/image-records.js'
import { UUID_PATTERN } from '../../util/uuid.js'

function nullable(type: string) {
  return ['null', type]
}

/** The image properties of Glance's schema (`get_base_properties`) plus its shipped `schema-image.json` ones. */
function imageProperties() {
  return {
    id: { type: 'string', description: 'An identifier for the image', pattern: UUID_PATTERN },
    name: { type: nullable('string'), description: 'Descriptive name for the image', maxLength: 255 },
    status: {
      type: 'string', readOnly: true, description: 'Status of the image',
      enum: ['queued', 'saving', 'active', 'killed', 'deleted', 'uploading', 'importing', 'pending_delete', 'deactivated'],
    },
    visibility: { type: 'string', description: 'Scope of image accessibility', enum: ['community', 'public', 'private', 'shared'] },
    protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
    os_hidden: { type: 'boolean', description: 'If true, image will not appear in default image list response.' },
    checksum: { type: nullable('string'), readOnly: true, description: 'md5 hash of image contents.', maxLength: 32 },
    os_hash_algo: { type: nullable('string'), readOnly: true, description: 'Algorithm to calculate the os_hash_value', maxLength: 64 },
    os_hash_value: { type: nullable('string'), readOnly: true, description: 'Hexdigest of the image contents using the algorithm specified by the os_hash_algo', maxLength: 128 },
    owner: { type: nullable('string'), description: 'Owner of the image', maxLength: 255 },
    size: { type: nullable('integer'), readOnly: true, description: 'Size of image file in bytes' },
    virtual_size: { type: nullable('integer'), readOnly: true, description: 'Virtual size of image in bytes' },
    container_format: { type: nullable('string'), description: 'Format of the container', enum: [null, ...CONTAINER_FORMATS] },
    disk_format: { type: nullable('string'), description: 'Format of the disk', enum: [null, ...DISK_FORMATS] },
    created_at: { type: 'string', readOnly: true, description: 'Date and time of image registration' },
    updated_at: { type: 'string', readOnly: true, description: 'Date and time of the last image modification' },
    tags: { type: 'array', description: 'List of strings related to the image', items: { type: 'string', maxLength: 255 } },
    direct_url: { type: 'string', readOnly: true, description: 'URL to access the image file kept in external store' },
    min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
    min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
    self: { type: 'string', readOnly: true, description: 'An image self url' },
    file: { type: 'string', readOnly: true, description: 'An image file url' },
    stores: { type: 'string', readOnly: true, description: 'Store in which image data resides.' },
    schema: { type: 'string', readOnly: true, description: 'An image schema url' },
    locations: {
      type: 'array', description: 'A set of URLs to access the image file kept in external store',
      items: { type: 'object', properties: { url: { type: 'string', maxLength: 255 }, metadata: { type: 'object' } }, required: ['url', 'metadata'] },
    },
    kernel_id: { type: nullable('string'), pattern: UUID_PATTERN, description: 'ID of an image to use as the kernel of an AMI-style image.', is_base: false },
    ramdisk_id: { type: nullable('string'), pattern: UUID_PATTERN, description: 'ID of an image to use as the ramdisk of an AMI-style image.', is_base: false },
    instance_uuid: { type: 'string', description: 'Which instance this image is associated with (informational).', is_base: false },
    architecture: { type: 'string', description: 'Operating system architecture.', is_base: false },
    os_distro: { type: 'string', description: 'Common name of the operating system distribution.', is_base: false },
    os_version: { type: 'string', description: 'Operating system version as specified by the distributor.', is_base: false },
    description: { type: 'string', description: 'A human-readable string describing this image.', is_base: false },
  }
}

/** `GET /v2/schemas/image`: a permissive schema (extra keys are string properties). */
export function imageSchema() {
  return {
    name: 'image',
    properties: imageProperties(),
    additionalProperties: { type: 'string' },
    links: [
      { rel: 'self', href: '{self}' },
      { rel: 'enclosure', href: '{file}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  }
}

/** `GET /v2/schemas/images`. */
export function imagesSchema() {
  return {
    name: 'images',
    properties: {
      images: { type: 'array', items: imageSchema() },
      first: { type: 'string' },
      next: { type: 'string' },
      schema: { type: 'string' },
    },
    links: [
      { rel: 'first', href: '{first}' },
      { rel: 'next', href: '{next}' },
      { rel: 'describedby', href: '{schema}' },
    ],
  }
}

function memberProperties() {
  return {
    member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
    image_id: { type: 'string', description: 'An identifier for the image', pattern: UUID_PATTERN },
    created_at: { type: 'string', description: 'Date and time of image member creation' },
    updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
    status: { type: 'string', description: 'The status of this image member', enum: ['pending', 'accepted', 'rejected'] },
    schema: { type: 'string', readOnly: true, description: 'An image member schema url' },
  }
}

/** `GET /v2/schemas/member`. */
export function memberSchema() {
  return { name: 'member', properties: memberProperties() }
}

/** `GET /v2/schemas/members`. */
export function membersSchema() {
  return {
    name: 'members',
    properties: { members: { type: 'array', items: memberSchema() }, schema: { type: 'string' } },
    links: [{ rel: 'describedby', href: '{schema}' }],
  }
}
