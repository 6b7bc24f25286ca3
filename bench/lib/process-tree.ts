import fs from 'node:fs'

/** A process and its descendants now (Linux /proc), the root first. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readOr(`/proc/${entry}/stat`)
    if (!stat) continue
    // Field 4 (ppid) comes after the command in parentheses, which may hold spaces.
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
    children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)])
  }
  const tree: number[] = []
  const visit = (pid: number) => {
    tree.push(pid)
    for (const child of children.get(pid) ?? []) visit(child)
  }
  visit(root)
  return tree
}

function readOr(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

/** Resident memory of one process in bytes (VmRSS; 0 once gone). */
export function rssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readOr(`/proc/${pid}/status`))
  return match ? Number(match[1]) * 1024 : 0
}

/** CPU time of one process so far in ns, every thread (schedstat: ns, not 10 ms ticks). */
export function cpuNs(pid: number): number {
  let total = 0
  let threads: string[] = []
  try {
    threads = fs.readdirSync(`/proc/${pid}/task`)
  } catch {
    return 0
  }
  for (const tid of threads) total += Number(readOr(`/proc/${pid}/task/${tid}/schedstat`).split(' ')[0] ?? 0) || 0
  return total
}

/** A short name of a process: its command line, trimmed. */
export function commandOf(pid: number): string {
  const argv = readOr(`/proc/${pid}/cmdline`).split('\0').filter(Boolean)
  return argv.map((a) => a.split('/').slice(-2).join('/')).join(' ').slice(0, 60)
}
