/**
 * `npm run test:sim [-- --runs N] [-- --seed S]`: runs the long simulation project (vitest `sim`),
 * passing `--runs`/`--seed` on as RUNS/SEED (vitest itself rejects unknown flags).
 */
import { spawnSync } from 'node:child_process'

const args = process.argv.slice(2)
const env = { ...process.env }
const rest: string[] = []
for (let i = 0; i < args.length; i++) {
  const flag = args[i]!
  const value = args[i + 1]
  if ((flag === '--runs' || flag === '--seed' || flag === '--scenario') && value !== undefined) {
    env[flag.slice(2).toUpperCase()] = value
    i++
  } else {
    rest.push(flag)
  }
}
const result = spawnSync('npx', ['vitest', 'run', '--project', 'sim', ...rest], {
  stdio: 'inherit',
  env,
})
process.exit(result.status ?? 1)
