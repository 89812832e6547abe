/**
 * Goal: the real VM and state tree behind the real consensus engine commit the same blocks and state
 * roots on every validator, signed txs change balances as the VM rules say, and the supply invariant
 * holds after every block.
 * Method: four `Consensus` engines, each with its own `ChainApp` over its own state, driven by a
 * small deterministic loop (FIFO message delivery, virtual-time timeouts, real secp256k1 signatures).
 */
import { describe, expect, it } from 'vitest'
import { buildGenesis, ChainApp, type ChainExecution } from '../../../src/chain/index.ts'
import { eventOfMessage, type Consensus } from '../../../src/consensus/index.ts'
import type { ConsensusEvent, Effect } from '../../../src/consensus/types.ts'
import type { SignedTx } from '../../../src/codec/tx.ts'
import type { Genesis } from '../../../src/vm/genesis.ts'
import { signedTx } from '../../../src/client/tx-builder.ts'
import { keyPairOf } from '../../../src/client/keys.ts'
import { equalBytes, toHex } from '../../../src/util/bytes.ts'
import { checkInvariants, readBalance } from '../../../src/vm/index.ts'
import { genesisEngine, UNIT_TIMEOUTS } from '../../support/consensus.ts'
import { testKey } from '../../support/fixtures.ts'

const CHAIN = 'pointsnode-test'
const T0 = 1_700_000_000_000n
const validators = [0, 1, 2, 3].map((i) => testKey(`validator-${i}`))
const operator = keyPairOf(testKey('operator').secretKey)
const acme = keyPairOf(testKey('acme').secretKey)
const alice = keyPairOf(testKey('alice').secretKey)
const bob = keyPairOf(testKey('bob').secretKey)

const genesis: Genesis = {
  chainId: CHAIN,
  genesisTime: T0,
  validators: validators.map((v) => v.publicKey),
  operators: [operator.publicKey],
  operatorQuorum: 1,
  oracles: [operator.publicKey],
  universal: {
    symbol: 'UNI',
    name: 'Universal points',
    decimals: 2,
    expirySeconds: 0n,
    transferable: true,
  },
  enterprises: [
    {
      address: acme.address,
      name: 'ACME',
      isIssuer: true,
      isAcceptor: true,
      settlementAccount: acme.address,
    },
  ],
  pointTypes: [
    {
      symbol: 'ACME',
      name: 'ACME points',
      issuer: acme.address,
      decimals: 2,
      expirySeconds: 0n,
      transferable: true,
      convertible: true,
      maxSupply: null,
    },
  ],
  balances: [],
}

/** The txs planned for each height (the same mempool content on every proposer). */
function plannedTxs(): Map<number, SignedTx[]> {
  const at = (expiresAtHeight: number) => ({
    chainId: CHAIN,
    expiresAtHeight,
    salt: new Uint8Array(0),
  })
  const voucher = new Uint8Array(32).fill(1)
  return new Map([
    [
      1,
      [
        signedTx(alice, 'account.register', { profileDigest: null }, at(50)),
        signedTx(bob, 'account.register', { profileDigest: null }, at(50)),
      ],
    ],
    [
      2,
      [
        signedTx(
          acme,
          'points.issue',
          {
            pointType: 'ACME',
            to: alice.address,
            amount: 10_000n,
            voucherKind: 'sales-order',
            voucherRef: 'SO-1',
            voucherDigest: voucher,
            encryptedDetail: null,
          },
          at(50),
        ),
      ],
    ],
    [
      3,
      [
        signedTx(
          alice,
          'points.transfer',
          { pointType: 'ACME', to: bob.address, amount: 2_500n },
          at(50),
        ),
      ],
    ],
  ])
}

interface Node {
  readonly engine: Consensus
  readonly app: ChainApp
  readonly commits: ChainExecution[]
}

function buildNodes(): Node[] {
  const planned = plannedTxs()
  return validators.map((key) => {
    const g = buildGenesis(genesis)
    if (!g.ok) throw new Error(g.error.message)
    const app = new ChainApp(CHAIN, g.value.state, g.value.tree, 0, {
      selectTxs: (height) => planned.get(height) ?? [],
      isVerified: () => false,
    })
    const timeouts = { ...UNIT_TIMEOUTS, blockIntervalMs: 100 }
    const set = g.value.validators
    const engine = genesisEngine({
      chainId: CHAIN,
      key,
      app,
      genesis: g.value.block,
      set,
      timeouts,
    })
    return { engine, app, commits: [] }
  })
}

/** Runs the nodes until every one has committed `heights` blocks (bounded by `stepsMax`). */
function run(nodes: Node[], heights: number, stepsMax = 20_000): void {
  let now = T0 + 1_000n
  const queue: { to: number; event: ConsensusEvent }[] = nodes.map((_, to) => ({
    to,
    event: { type: 'start', now },
  }))
  const timers: { to: number; at: bigint; event: ConsensusEvent }[] = []
  const apply = (from: number, effects: Effect[]): void => {
    for (const effect of effects) {
      switch (effect.type) {
        case 'persist':
          break
        case 'broadcast':
          nodes.forEach((_, to) => {
            if (to !== from) queue.push({ to, event: eventOfMessage(effect.message, now) })
          })
          break
        case 'send': {
          const to = validators.findIndex((v) => equalBytes(v.publicKey, effect.to))
          if (to >= 0) queue.push({ to, event: eventOfMessage(effect.message, now) })
          break
        }
        case 'scheduleTimeout':
          timers.push({
            to: from,
            at: now + BigInt(effect.delayMs),
            event: {
              type: 'timeout',
              height: effect.height,
              round: effect.round,
              step: effect.step,
              now: 0n,
            },
          })
          break
        case 'commitBlock': {
          const node = nodes[from]!
          node.commits.push(node.app.commit(effect.block))
          expect(
            checkInvariants(node.app.state),
            `node ${from} height ${effect.block.header.height}`,
          ).toEqual([])
          break
        }
      }
    }
  }
  for (let step = 0; step < stepsMax && nodes.some((n) => n.commits.length < heights); step++) {
    const next = queue.shift()
    if (next) {
      apply(next.to, nodes[next.to]!.engine.handle({ ...next.event, now }))
      continue
    }
    timers.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.to - b.to))
    const timer = timers.shift()
    if (!timer) break
    now = timer.at
    apply(timer.to, nodes[timer.to]!.engine.handle({ ...timer.event, now }))
  }
}

describe('real VM behind real consensus', { timeout: 120_000 }, () => {
  it('four validators commit the same blocks and state roots; txs take effect', () => {
    const nodes = buildNodes()
    run(nodes, 5)
    for (const [i, node] of nodes.entries())
      expect(node.commits.length, `node ${i}`).toBeGreaterThanOrEqual(5)
    for (let h = 0; h < 5; h++) {
      const roots = nodes.map((n) => toHex(n.commits[h]!.tree.root()))
      const hashes = nodes.map((n) => toHex(n.commits[h]!.blockHash))
      expect(new Set(roots).size, `height ${h + 1} roots`).toBe(1)
      expect(new Set(hashes).size, `height ${h + 1} blocks`).toBe(1)
    }
    const receipts = nodes[0]!.commits
      .slice(0, 3)
      .flatMap((c) => c.result.receipts.map((r) => r.code ?? 'ok'))
    expect(receipts).toEqual(['ok', 'ok', 'ok', 'ok'])
    const state = nodes[0]!.app.state
    expect(readBalance(state, alice.address, 'ACME')).toBe(7_500n)
    expect(readBalance(state, bob.address, 'ACME')).toBe(2_500n)
  })

  it('refuses proposals with a bad tx, a bad signature or lying roots', () => {
    const [builder, checker] = buildNodes()
    const parent = buildGenesisHeader()
    const input = {
      chainId: CHAIN,
      height: 1,
      round: 0,
      time: T0 + 5_000n,
      proposer: validators[1]!.publicKey,
      parent,
      parentHash: new Uint8Array(32),
      validatorsHash: parent.validatorsHash,
      nextValidatorsHash: parent.nextValidatorsHash,
    }
    const { block, execution } = builder!.app.buildProposal(input)
    const good = checker!.app.executeProposal(block, parent)
    expect(good.ok && toHex(good.value.stateRoot)).toBe(toHex(execution.stateRoot))
    const code = (b: typeof block): string => {
      const r = buildNodes()[2]!.app.executeProposal(b, parent)
      return r.ok
        ? `root ${toHex(r.value.stateRoot) === toHex(b.header.stateRoot) ? 'matches' : 'differs'}`
        : r.error.code
    }
    const flip = (bytes: Uint8Array, at: number): Uint8Array =>
      bytes.map((x, i) => (i === at ? x ^ 1 : x))
    const tx0 = block.txs[0]!
    expect(code({ ...block, txs: [tx0.slice(0, -1), ...block.txs.slice(1)] })).toBe('BLOCK_BAD_TX')
    expect(code({ ...block, txs: [flip(tx0, tx0.length - 3), ...block.txs.slice(1)] })).toBe(
      'BLOCK_BAD_SIGNATURE',
    )
    expect(code({ ...block, txs: block.txs.slice(1) })).toBe('BLOCK_BAD_TX_ROOT')
    expect(
      code({
        ...block,
        header: { ...block.header, receiptsRoot: flip(block.header.receiptsRoot, 0) },
      }),
    ).toBe('BLOCK_BAD_RECEIPTS_ROOT')
    // A lying state root executes, but to a different root: the engine then rejects the proposal.
    expect(
      code({ ...block, header: { ...block.header, stateRoot: flip(block.header.stateRoot, 0) } }),
    ).toBe('root differs')
    expect(code(block)).toBe('root matches')
  })
})

function buildGenesisHeader() {
  const g = buildGenesis(genesis)
  if (!g.ok) throw new Error(g.error.message)
  return g.value.block.header
}
