import { setTimeout as sleep } from 'node:timers/promises'
import type { RescueRunOutcome, RescueRunSpec } from '../virt-driver.js'
import { parseRunFrame } from '../../util/rescue-run-frame.js'
import { readFileSlice } from './file-slice.js'

/** The most of the channel file read: a frame of 64 KiB of output is under 100 KiB; anything past this is the guest flooding. */
const MAX_CHANNEL_BYTES = 1024 * 1024
const POLL_MS = 500

/** Reads the first MAX_CHANNEL_BYTES of the channel file ('' while it is missing). */
async function readChannel(file: string): Promise<string> {
  return (await readFileSlice(file, MAX_CHANNEL_BYTES, 'start')).toString('latin1')
}

/**
 * Polls the run's channel file (the guest's ttyS1) for the frame with the
 * run's nonce until `deadline`: the wrapper writes it once, at the end. Only
 * that frame is believed; the file's other bytes are ignored.
 */
export async function awaitQemuRun(channelFile: string, run: RescueRunSpec, deadline: number): Promise<RescueRunOutcome | null> {
  for (;;) {
    const frame = parseRunFrame(await readChannel(channelFile), run.nonce)
    if (frame) return { exitStatus: frame.exitStatus, output: frame.output, outputTruncated: frame.truncated, durationMs: frame.durationMs, timedOut: frame.timedOut }
    const left = deadline - Date.now()
    if (left <= 0) return null
    await sleep(Math.min(POLL_MS, left))
  }
}
