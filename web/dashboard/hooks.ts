import { useCallback, useEffect, useRef, useState } from 'preact/hooks'

/** What `usePoll` gives: the last answer, the last error, and a way to load again now. */
export interface Polled<T> {
  data: T | undefined
  error: string | null
  reload: () => void
}

/**
 * Loads with `load` now and every `intervalMs` (0: once) while the component
 * lives, and again when `key` changes; a failed load keeps the last data.
 */
export function usePoll<T>(load: () => Promise<T>, intervalMs: number, key = ''): Polled<T> {
  const [data, setData] = useState<T | undefined>(undefined)
  const [error, setError] = useState<string | null>(null)
  const loadRef = useRef(load)
  loadRef.current = load
  const alive = useRef(true)
  const run = useCallback(() => {
    loadRef.current().then(
      (value) => { if (alive.current) { setData(value); setError(null) } },
      (e: unknown) => { if (alive.current) setError(e instanceof Error ? e.message : String(e)) },
    )
  }, [])
  useEffect(() => {
    alive.current = true
    setData(undefined)
    run()
    const timer = intervalMs > 0 ? setInterval(run, intervalMs) : undefined
    return () => {
      alive.current = false
      if (timer) clearInterval(timer)
    }
  }, [key, intervalMs])
  return { data, error, reload: run }
}

/** Runs an action, keeping its error message and whether it is in flight. */
export function useAction(): { busy: boolean; error: string | null; run: (fn: () => Promise<unknown>) => Promise<boolean>; clear: () => void } {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true)
    setError(null)
    try {
      await fn()
      return true
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e))
      return false
    } finally {
      setBusy(false)
    }
  }
  return { busy, error, run, clear: () => setError(null) }
}
