/**
 * In-process runs of the `pointsnode` command line (src/cli/main.ts): the exit code and what it
 * printed, with an environment of the test's choosing (none of the caller's `POINTSNODE_*`).
 */
import { runCli } from '../../src/cli/main.ts'

/** What one run of the CLI printed and returned. */
export interface CliRun {
  readonly code: number
  readonly out: string
  readonly err: string
}

/** Runs `pointsnode ...args` in this process and collects its output. */
export async function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  const out: string[] = []
  const err: string[] = []
  const io = {
    out: (line: string): void => {
      out.push(line)
    },
    err: (line: string): void => {
      err.push(line)
    },
  }
  const code = await runCli(args, io, env)
  return { code, out: out.join('\n'), err: err.join('\n') }
}

/** The public key (hex) that `pointsnode keys show --home home` prints. */
export async function publicKeyOfHome(home: string): Promise<string> {
  const shown = await cli(['keys', 'show', '--home', home])
  if (shown.code !== 0) throw new Error(`keys show --home ${home}: ${shown.err}`)
  return (JSON.parse(shown.out) as { publicKey: string }).publicKey
}
