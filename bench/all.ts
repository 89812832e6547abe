/**
 * `npm run bench`: runs every benchmark script in its own process, one after another (so they do not
 * compete for the two cores), and prints their tables. Each script is also runnable alone as
 * `npm run bench:<name>`. The long multi-process ones are left out and run alone: `bench:cluster`,
 * `bench:accounts` (pairs of cluster runs) and `bench:soak`.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  scripts: Record<string, string>
}
const names = Object.keys(pkg.scripts)
  .filter(
    (name) =>
      name.startsWith('bench:') &&
      !['bench:soak', 'bench:cluster', 'bench:accounts'].includes(name),
  )
  .sort()
let failed = 0
for (const name of names) {
  console.log(`\n=== npm run ${name}`)
  const result = spawnSync('npm', ['run', '--silent', name], { stdio: 'inherit' })
  if (result.status !== 0) failed++
}
console.log(`\n${names.length - failed} of ${names.length} benchmarks completed`)
process.exitCode = failed > 0 ? 1 : 0
