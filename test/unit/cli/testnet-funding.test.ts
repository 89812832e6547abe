/**
 * Goal: `pointsnode testnet --fund` refuses, before it writes anything, what would crash it or
 * make a genesis that no node starts from: an amount outside 1..AMOUNT_MAX, fundings (of one
 * account or several) whose sum overflows the universal type's supply, a blank or malformed
 * count, a chain id the genesis cannot encode; each is a usage error (exit 2) that leaves no output
 * folder. Amounts up to the bound are
 * taken, and a node's genesis check accepts them.
 * Method: the CLI run in-process (test/support/cli.ts) into temp folders; the written genesis read
 * back with loadGenesis and built with buildGenesis.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildGenesis } from '../../../src/chain/genesis.ts'
import { AMOUNT_MAX } from '../../../src/core/limits.ts'
import { loadGenesis } from '../../../src/node/genesis-file.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { testKey } from '../../support/fixtures.ts'
import { cli } from '../../support/cli.ts'

const root = mkdtempSync(join(tmpdir(), 'pointsnode-testnet-fund-'))
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

const alice = toHex(testKey('alice').address)
const bob = toHex(testKey('bob').address)

describe('pointsnode testnet --fund', () => {
  it('refuses bad fundings and counts with exit 2 before it creates anything', async () => {
    const cases: [string, string[], string][] = [
      ['zero', ['--fund', `${alice}:0`], 'not in 1..'],
      ['one past AMOUNT_MAX', ['--fund', `${alice}:${AMOUNT_MAX + 1n}`], 'not in 1..'],
      ['twenty digits', ['--fund', `${alice}:99999999999999999999`], 'not in 1..'],
      [
        'one account funded twice past the supply',
        ['--fund', `${alice}:${AMOUNT_MAX}`, '--fund', `${alice}:1`],
        'add up to',
      ],
      [
        'two accounts past the supply',
        ['--fund', `${alice}:${AMOUNT_MAX / 2n + 1n}`, '--fund', `${bob}:${AMOUNT_MAX / 2n + 1n}`],
        'add up to',
      ],
      ['not an address', ['--fund', 'alice:10'], 'is not <addressHex>:<amount>'],
      ['blank observers', ['--observers', ''], '--observers must be an integer in 0..16'],
      ['blank validators', ['--validators', ''], '--validators must be an integer in 1..64'],
      ['fractional validators', ['--validators', '1.5'], '--validators must be an integer'],
      ['bad chain id', ['--chain-id', 'Not A Chain'], '--chain-id must match'],
    ]
    for (const [what, flags, message] of cases) {
      const out = join(root, what.replaceAll(' ', '-'))
      const run = await cli(['testnet', '--validators', '1', ...flags, '--out', out])
      expect(run.code, what).toBe(2)
      expect(run.err, what).toContain(message)
      expect(run.err, what).not.toContain('AssertionError')
      expect(existsSync(out), what).toBe(false)
    }
  })

  it('takes fundings up to the bound, duplicates included, and the genesis builds', async () => {
    const out = join(root, 'funded')
    const half = AMOUNT_MAX / 2n
    const fund = ['--fund', `${alice}:${half}`, '--fund', `${alice}:${AMOUNT_MAX - half}`]
    const run = await cli(['testnet', '--validators', '1', ...fund, '--out', out])
    expect(run.code, run.err).toBe(0)
    const genesis = loadGenesis(join(out, 'node0'))
    expect(genesis.balances.map((b) => b.amount)).toEqual([half, AMOUNT_MAX - half])
    expect(buildGenesis(genesis).ok).toBe(true)
  })
})
