// The browser pages' build: every folder of web/ with a `main.ts` or `main.tsx`
// is one page, bundled by esbuild (minified, ES2022, Preact's JSX) into
// dist/web/<folder>/ (main.js, main.css when it imports CSS) with the folder's
// .html files copied beside it. No CDN and no network at run time: everything
// a page loads comes from its own bundle.
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
export const webSource = path.join(root, 'web')
export const webOut = path.join(root, 'dist', 'web')

/** The pages: folders of web/ with an entry point (web/shared and others without one are only imported). */
function pages() {
  if (!fs.existsSync(webSource)) return []
  return fs.readdirSync(webSource, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const dir = path.join(webSource, entry.name)
      const main = ['main.tsx', 'main.ts'].map((f) => path.join(dir, f)).find((f) => fs.existsSync(f))
      return main ? { name: entry.name, dir, main } : null
    })
    .filter(Boolean)
}

/** Builds every page into `outDir` (default dist/web); throws when esbuild fails. */
export async function buildWeb(outDir = webOut) {
  const list = pages()
  if (list.length === 0) return
  let esbuild
  try {
    esbuild = await import('esbuild')
  } catch {
    throw new Error('building the web pages needs the dev dependencies (esbuild): run `npm ci`')
  }
  fs.rmSync(outDir, { recursive: true, force: true })
  for (const page of list) {
    const target = path.join(outDir, page.name)
    await esbuild.build({
      entryPoints: { main: page.main },
      outdir: target,
      bundle: true,
      minify: true,
      format: 'esm',
      // ES2022: @novnc/novnc's core/util/browser.js uses a top-level await.
      target: 'es2022',
      jsx: 'automatic',
      jsxImportSource: 'preact',
      loader: { '.woff': 'file', '.woff2': 'file', '.svg': 'file', '.png': 'file' },
      legalComments: 'linked',
      logLevel: 'warning',
    })
    for (const file of fs.readdirSync(page.dir)) {
      if (file.endsWith('.html')) fs.copyFileSync(path.join(page.dir, file), path.join(target, file))
    }
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  buildWeb(process.argv[2]).catch((error) => {
    process.stderr.write(`${error.message}\n`)
    process.exit(1)
  })
}
