#!/usr/bin/env node
// sha256 of the front-end sources that determine the build output:
// package.json, package-lock.json, index.html, vite.config.*, tsconfig*.json and src/**.
// Each file contributes "<relative posix path>\0<content with CRLF normalised to LF>\0", in sorted
// path order, so the hash is the same on every OS and checkout. Prints the hex digest.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

export const FRONTEND_DIR = join(dirname(fileURLToPath(import.meta.url)), '..')

function walk(dir, out) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name)
    const st = statSync(p)
    if (st.isDirectory()) walk(p, out)
    else if (st.isFile()) out.push(p)
  }
  return out
}

export function sourceFiles(root = FRONTEND_DIR) {
  const top = readdirSync(root).filter(
    (n) =>
      n === 'package.json' ||
      n === 'package-lock.json' ||
      n === 'index.html' ||
      /^vite\.config\.[cm]?[jt]s$/.test(n) ||
      /^tsconfig.*\.json$/.test(n),
  )
  const files = top.map((n) => join(root, n)).filter((p) => statSync(p).isFile())
  walk(join(root, 'src'), files)
  return files
    .map((p) => relative(root, p).split(sep).join('/'))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
}

export function computeSourceHash(root = FRONTEND_DIR) {
  const h = createHash('sha256')
  for (const rel of sourceFiles(root)) {
    const buf = readFileSync(join(root, rel))
    const text = buf.includes(0) ? buf : Buffer.from(buf.toString('utf8').replace(/\r\n/g, '\n'), 'utf8')
    h.update(rel, 'utf8')
    h.update('\0')
    h.update(text)
    h.update('\0')
  }
  return h.digest('hex')
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.stdout.write(computeSourceHash() + '\n')
}
