#!/usr/bin/env node
// Fails (exit 1) when the committed build in src/qmtdesk/web is missing or was built from sources
// other than the ones in frontend/ (BUILD_HASH differs from a fresh source hash).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { FRONTEND_DIR, computeSourceHash } from './source-hash.mjs'

const webDir = join(FRONTEND_DIR, '..', 'src', 'qmtdesk', 'web')
const hashFile = join(webDir, 'BUILD_HASH')

if (!existsSync(join(webDir, 'index.html'))) {
  console.error(`check-build: ${webDir}/index.html is missing. Run scripts/build-frontend.sh and commit src/qmtdesk/web.`)
  process.exit(1)
}
if (!existsSync(hashFile)) {
  console.error(`check-build: ${hashFile} is missing. Run scripts/build-frontend.sh and commit src/qmtdesk/web.`)
  process.exit(1)
}
const recorded = readFileSync(hashFile, 'utf8').trim()
const actual = computeSourceHash()
if (recorded !== actual) {
  console.error(
    'check-build: the committed web build is stale: frontend sources changed since it was built.\n' +
      `  recorded ${recorded}\n  current  ${actual}\n` +
      'Run scripts/build-frontend.sh and commit src/qmtdesk/web.',
  )
  process.exit(1)
}
console.log(`check-build: web build matches the sources (${actual.slice(0, 12)})`)
