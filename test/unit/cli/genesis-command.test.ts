/**
 * Goal: `pointsnode genesis` writes, from the members' public keys alone, a genesis.json that
 * `loadGenesis` reads back with exactly what the flags said and that builds the genesis block (the
 * real-machine setup of docs/operations.md: `init` and `keys show` on each machine, the genesis
 * from the collected keys, copied into every home). Bad input is refused with exit 2 (usage) and
 * writes nothing; an existing file is never overwritten (exit 3, `GENESIS_EXISTS`).
 * Method: the CLI run in-process (test/support/cli.ts) in temp folders; expected values written by
 * hand from the flags.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { buildGenesis } from '../../../src/chain/genesis.ts'
import { AMOUNT_MAX } from '../../../src/core/limits.ts'
import { loadConfig } from '../../../src/node/config.ts'
import { GENESIS_FILE, loadGenesis } from '../../../src/node/genesis-file.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { testKey } from '../../support/fixtures.ts'
import { cli, publicKeyOfHome } from '../../support/cli.ts'

const root = mkdtempSync(join(tmpdir(), 'pointsnode-genesis-cmd-'))
afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

const hex = (label: string): string => toHex(testKey(label).publicKey)
const [v0, v1, v2, op0, op1, oracle] = ['v0', 'v1', 'v2', 'op0', 'op1', 'oracle'].map(hex) as [
  string,
  string,
  string,
  string,
  string,
  string,
]
const alice = toHex(testKey('alice').address)
let files = 0
const outFile = (): string => join(root, `genesis-${files++}.json`)

describe('pointsnode genesis', () => {
  it('writes what the flags say, readable by loadGenesis, and the genesis block builds', async () => {
    const out = outFile()
    const args = ['genesis', '--chain-id', 'acme-loyalty', '--time', '1700000000000']
    for (const v of [v0, v1, v2]) args.push('--validator', v)
    args.push('--operator', op0, '--operator', op1, '--operator-quorum', '2')
    args.push('--oracle', oracle, '--fund', `${alice}:500`, '--fund', `${alice}:250`)
    const run = await cli([...args, '--out', out])
    expect(run.code, run.err).toBe(0)
    expect(JSON.parse(run.out)).toMatchObject({ genesis: out, chainId: 'acme-loyalty' })
    const home = join(root, 'reader')
    mkdirSync(home)
    copyFileSync(out, join(home, GENESIS_FILE))
    const genesis = loadGenesis(home)
    expect(genesis.chainId).toBe('acme-loyalty')
    expect(genesis.genesisTime).toBe(1_700_000_000_000n)
    expect(genesis.validators.map(toHex)).toEqual([v0, v1, v2])
    expect(genesis.operators.map(toHex)).toEqual([op0, op1])
    expect(genesis.operatorQuorum).toBe(2)
    expect(genesis.oracles.map(toHex)).toEqual([oracle])
    expect(genesis.universal.symbol).toBe('UNI')
    expect(genesis.balances.map((b) => [toHex(b.account), b.pointType, b.amount])).toEqual([
      [alice, 'UNI', 500n],
      [alice, 'UNI', 250n],
    ])
    expect(buildGenesis(genesis).ok).toBe(true)
  })

  it('takes the keys that init and keys show give on each machine (docs/operations.md)', async () => {
    const homes = ['member-a', 'member-b'].map((name) => join(root, name))
    for (const home of homes) {
      const init = await cli(['init', '--home', home, '--chain-id', 'acme-loyalty'])
      expect(init.code, init.err).toBe(0)
    }
    const [a, b] = await Promise.all(homes.map(publicKeyOfHome))
    const out = outFile()
    const args = ['genesis', '--chain-id', 'acme-loyalty', '--validator', a!, '--validator', b!]
    const run = await cli([...args, '--operator', a!, '--out', out])
    expect(run.code, run.err).toBe(0)
    for (const home of homes) {
      copyFileSync(out, join(home, GENESIS_FILE))
      const genesis = loadGenesis(home)
      expect(genesis.validators.map(toHex)).toEqual([a, b])
      // One operator: quorum 1, and the operators are the oracles unless --oracle says otherwise.
      expect([genesis.operatorQuorum, genesis.oracles.map(toHex)]).toEqual([1, [a]])
      const config = loadConfig(home)
      expect(config.ok && config.value.chainId).toBe(genesis.chainId)
    }
  })

  it('refuses bad input with exit 2 and writes nothing', async () => {
    const base = ['--validator', v0, '--operator', op0]
    const offCurve = `02${'ff'.repeat(32)}`
    const cases: [string, string[], string][] = [
      ['no validator', ['--operator', op0], '--validator PUBKEY is required'],
      ['no operator', ['--validator', v0], '--operator PUBKEY is required'],
      ['short key', ['--validator', '02abcd', '--operator', op0], 'not a public key'],
      ['key off the curve', ['--validator', offCurve, '--operator', op0], 'not a public key'],
      ['uppercase key', ['--validator', v0.toUpperCase(), '--operator', op0], 'not a public key'],
      ['repeated validator', [...base, '--validator', v0], 'given twice'],
      ['two operators, no quorum', [...base, '--operator', op1], '--operator-quorum N is required'],
      ['quorum above operators', [...base, '--operator-quorum', '2'], 'in 1..1'],
      ['blank quorum', [...base, '--operator-quorum', ''], '--operator-quorum must be'],
      ['bad chain id', [...base, '--chain-id', 'Bad Chain'], '--chain-id must match'],
      ['blank time', [...base, '--time', ''], '--time must be'],
      ['time past the limit', [...base, '--time', '99999999999999'], '--time must be'],
      ['zero amount', [...base, '--fund', `${alice}:0`], 'not in 1..'],
      ['amount past AMOUNT_MAX', [...base, '--fund', `${alice}:${AMOUNT_MAX + 1n}`], 'not in 1..'],
      [
        'fundings that overflow the supply',
        [...base, '--fund', `${alice}:${AMOUNT_MAX}`, '--fund', `${alice}:1`],
        'add up to',
      ],
      ['malformed fund', [...base, '--fund', 'alice:5'], 'is not <addressHex>:<amount>'],
    ]
    for (const [what, args, message] of cases) {
      const out = outFile()
      const run = await cli(['genesis', ...args, '--out', out])
      expect(run.code, what).toBe(2)
      expect(run.err, what).toContain(message)
      expect(existsSync(out), what).toBe(false)
    }
    const noOut = await cli(['genesis', ...base])
    expect([noOut.code, noOut.err.split('\n')[0]]).toEqual([2, 'error: --out FILE is required'])
  })

  it('never overwrites an existing file (exit 3, GENESIS_EXISTS)', async () => {
    const out = outFile()
    const args = ['genesis', '--validator', v0, '--operator', op0, '--out', out]
    expect((await cli([...args, '--time', '1'])).code).toBe(0)
    const before = readFileSync(out, 'utf8')
    const again = await cli([...args, '--time', '2'])
    expect(again.code).toBe(3)
    expect(again.err).toContain('GENESIS_EXISTS')
    expect(readFileSync(out, 'utf8')).toBe(before)
  })
})
