/**
 * Goal: kill -9 at any moment loses no committed block and never leaves an inconsistent store
 * (issue 5, acceptance 1; SPEC.md section 7 "Crash safety").
 * Method: 50 times, spawn a real child process (test/support/ledger-crash-child.ts) that commits
 * blocks of random txs to one LevelDB store and prints each committed height; SIGKILL it at a
 * random moment (seeded); then reopen the same store in this process: the integrity check (with the
 * commit witness) must pass, the head must be at least every height the child reported, every
 * reported block must load, and replaying the stored blocks from genesis (write sets derive from the
 * tx ids) must give the head's state root and exactly the persisted state.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { openLevelKvStore } from '../../src/ledger/kv-level.ts'
import { Ledger } from '../../src/ledger/ledger.ts'
import { FileCommitWitness } from '../../src/ledger/witness.ts'
import type { StateEntry } from '../../src/core/state.ts'
import { toHex } from '../../src/util/bytes.ts'
import {
  hashChainStateRootStandIn,
  ModelState,
  seededRandom,
  txIdsOf,
  writeSetFromTxIds,
} from '../support/ledger-fixtures.ts'

const KILLS = Number(process.env['LEDGER_CRASH_KILLS'] ?? 50)
const SEED = Number(process.env['SEED'] ?? 20261125)
const CHILD = join(import.meta.dirname, '../support/ledger-crash-child.ts')
const dirs: string[] = []

afterAll(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

interface RunResult {
  readonly reported: number[]
  readonly ready: boolean
  readonly stderr: string
}

/** A started child waiting for `go`. */
interface WarmChild {
  readonly started: Promise<void>
  /** Sends `go`; SIGKILLs `killAfterMs` after the first commit (or after `go`, when `early`). */
  run(killAfterMs: number, early: boolean): Promise<RunResult>
}

/**
 * Starts the child process; it waits for `go` before touching the store, so the next child can be
 * started (tsx start-up takes the longest) while the parent checks the store after the last kill.
 */
function startChild(path: string, seed: number): WarmChild {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, String(seed)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  const reported: number[] = []
  let ready = false
  let buffer = ''
  let stderr = ''
  let onStarted: () => void = () => undefined
  let onFirstCommit: () => void = () => undefined
  const started = new Promise<void>((resolve) => (onStarted = resolve))
  const firstCommit = new Promise<void>((resolve) => (onFirstCommit = resolve))
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', reject)
    child.on('exit', () => {
      resolve()
    })
  })
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8')
    const lines = buffer.split('\n')
    buffer = lines.pop() ?? ''
    for (const line of lines) {
      const [word, value] = line.split(' ')
      if (word === 'started') onStarted()
      else if (word === 'ready') {
        ready = true
      } else if (word === 'committed') {
        reported.push(Number(value))
        onFirstCommit()
      }
    }
  })
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')))
  // Safety net only: a child that never gets going is killed and reported by the assertions.
  const deadline = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return {
    started,
    run: async (killAfterMs, early) => {
      child.stdin.write('go\n')
      // Early kills hit start-up (open, integrity check, genesis); the others hit commits in flight.
      if (!early) await Promise.race([firstCommit, exited])
      // The kill moment is the randomised input of this test, not a wait for a condition.
      const timer = setTimeout(() => child.kill('SIGKILL'), killAfterMs)
      await exited
      clearTimeout(timer)
      clearTimeout(deadline)
      return { reported, ready, stderr }
    },
  }
}

describe('ledger crash safety with real processes', () => {
  it(`survives ${KILLS} SIGKILLs at random moments without losing a committed block`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pointsnode-crash-'))
    dirs.push(dir)
    const path = join(dir, 'db')
    const random = seededRandom(SEED)
    const model = new ModelState()
    let replayed = 0
    let maxReported = 0
    const options = {
      computeStateRoot: hashChainStateRootStandIn,
      witness: new FileCommitWitness(`${path}.witness`),
    }
    let next = startChild(path, SEED)
    for (let run = 0; run < KILLS; run++) {
      const where = `run ${run} (SEED=${SEED})`
      const current = next
      await current.started
      // Start the next child now: its start-up overlaps with this run and the checks below.
      next = startChild(path, SEED + run + 1)
      const early = random() < 0.1
      const result = await current.run(Math.floor(random() * (early ? 100 : 250)), early)
      expect(result.stderr, `${where}: child stderr`).toBe('')
      maxReported = Math.max(maxReported, ...result.reported)
      const ledger = await Ledger.open(await openLevelKvStore(path), options)
      try {
        const head = ledger.head
        expect(head, `${where}: head after kill`).not.toBeNull()
        expect(head!.height, `${where}: head ≥ every reported height`).toBeGreaterThanOrEqual(
          maxReported,
        )
        for (let h = replayed + 1; h <= head!.height; h++) {
          const stored = await ledger.loadBlock(h)
          expect(stored, `${where}: block ${h}`).toBeDefined()
          model.apply(writeSetFromTxIds(txIdsOf(stored!.block)))
          expect(toHex(stored!.block.header.stateRoot), `${where}: replayed root at ${h}`).toBe(
            toHex(model.root()),
          )
        }
        replayed = head!.height
        expect(toHex(head!.stateRoot), `${where}: head root`).toBe(toHex(model.root()))
        const persisted: StateEntry[] = []
        for await (const e of ledger.loadState()) persisted.push(e)
        expect(
          persisted.map((e) => toHex(e.key) + '=' + toHex(e.value)),
          `${where}: state`,
        ).toEqual(model.entries().map((e) => toHex(e.key) + '=' + toHex(e.value)))
      } finally {
        await ledger.close()
      }
    }
    console.log(
      `ledger crash test: ${KILLS} kills, ${replayed} blocks, ${maxReported} max reported`,
    )
    expect(replayed, 'the child made progress').toBeGreaterThan(KILLS)
  }, 150_000)
})
