import type { AggregateRecord } from '../../../services/compute/aggregate-store.js'
import { isAtLeast, type Microversion } from '../../common/microversion.js'

/** Nova's aggregate timestamps: no zone, microseconds (`2016-12-27T22:51:32.877711`). */
function aggregateTime(iso: string | null): string | null {
  return iso === null ? null : iso.replace(/\.(\d{3})Z$/, '.$1000')
}

/** An aggregate as Nova marshals it (`uuid` from 2.41). */
export interface AggregateView {
  availability_zone: string | null
  created_at: string | null
  deleted: boolean
  deleted_at: null
  hosts?: string[]
  id: number
  metadata?: Record<string, string>
  name: string
  updated_at: string | null
  uuid?: string
}

/** `_marshall_aggregate`. */
export function aggregateView(aggregate: AggregateRecord, mv: Microversion): AggregateView {
  const view: AggregateView = {
    availability_zone: aggregate.metadata.availability_zone ?? null,
    created_at: aggregateTime(aggregate.row.created_at),
    deleted: false,
    deleted_at: null,
    hosts: aggregate.hosts,
    id: aggregate.row.id,
    metadata: aggregate.metadata,
    name: aggregate.row.name,
    updated_at: aggregateTime(aggregate.row.updated_at),
  }
  if (isAtLeast(mv, '2.41')) view.uuid = aggregate.row.uuid
  return view
}
