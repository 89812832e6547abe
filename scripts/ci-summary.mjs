// Prints the CI closing line `tests: N passed, N failed` from vitest's JSON report and exits non-zero
// when anything failed. Usage: node scripts/ci-summary.mjs <report.json> <staticChecksFailed 0|1>
// A missing or unreadable report counts as a failure: CI must never pass without running tests.
import { readFileSync } from 'node:fs'

const [file, staticArg = '0'] = process.argv.slice(2)
const staticFailed = Number(staticArg) > 0 ? 1 : 0
let passed = 0
let failed = 0
try {
  const report = JSON.parse(readFileSync(file, 'utf8'))
  passed = Number(report.numPassedTests) || 0
  failed = Number(report.numFailedTests) || 0
  if (report.success !== true && failed === 0) failed = 1
  if (passed + failed === 0) failed = 1
} catch (error) {
  console.error(`could not read the vitest JSON report ${file}: ${error.message}`)
  failed = Math.max(failed, 1)
}
failed += staticFailed
console.log(`tests: ${passed} passed, ${failed} failed`)
process.exit(failed > 0 ? 1 : 0)
