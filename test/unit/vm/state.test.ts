/**
 * Goal: the in-memory ordered state and the execution overlay behave as the StateReader contract
 * says: byte order of keys, half-open ranges with limits, overlay writes and deletions merged into
 * reads and ranges, tx rollback, and a write set with only real changes in ascending order. Also:
 * genesis validation and checkTx.
 * Method: small hand-built states with expected results written out.
 */
import { describe, expect, it } from 'vitest'
import { bigint, struct, u32 } from '../../../src/codec/schema.ts'
import { encodeCanonical } from '../../../src/codec/canonical.ts'
import { toHex } from '../../../src/util/bytes.ts'
import {
  HOLDER_KIND,
  MemoryState,
  Overlay,
  checkTx,
  genesisWriteSet,
  keyString,
  keys,
} from '../../../src/vm/index.ts'
import { keyStrings } from '../../../src/vm/keys.ts'
import { DECODED_CACHE_MAX, keyBytesOf } from '../../../src/vm/memory-state.ts'
import { CHAIN, K, TestChain, testGenesis, tx } from '../../support/vm.ts'

const N = u32()
const k = (...b: number[]): Uint8Array => new Uint8Array(b)
const v = (n: number): Uint8Array => encodeCanonical(N, n)
const keysOf = (entries: readonly { key: Uint8Array }[]): string[] =>
  entries.map((e) => toHex(e.key))

describe('MemoryState', () => {
  it('orders keys by bytes and scans half-open ranges with a limit', () => {
    const s = new MemoryState()
    s.apply([
      { key: k(1), value: v(1) },
      { key: k(1, 0), value: v(2) },
      { key: k(1, 255), value: v(3) },
      { key: k(2), value: v(4) },
    ])
    expect(keysOf(s.range(k(1), k(2), 10))).toEqual(['01', '0100', '01ff'])
    expect(keysOf(s.range(k(1, 0), null, 2))).toEqual(['0100', '01ff'])
    s.apply([
      { key: k(1, 0), value: null },
      { key: k(1, 128), value: v(5) },
    ])
    expect(keysOf(s.range(k(0), null, 10))).toEqual(['01', '0180', '01ff', '02'])
    expect(() => {
      s.apply([
        { key: k(3), value: v(1) },
        { key: k(2), value: v(1) },
      ])
    }).toThrow(/ascend/)
    expect(s.get(k(3)), 'a rejected write set changes nothing').toBeUndefined()
  })
})

describe('MemoryState decoded values', () => {
  const ACCOUNT = struct('Account', { balance: bigint(), nonce: u32() })
  const key = k(7, 1)
  const kS = keyString(key)

  it('decodes a value once, shares it frozen, and decodes again after the key is written', () => {
    const s = new MemoryState()
    s.apply([{ key, value: encodeCanonical(ACCOUNT, { balance: 5n, nonce: 1 }) }])
    const first = s.decodedByKeyString(ACCOUNT, kS)
    expect(first).toEqual({ balance: 5n, nonce: 1 })
    expect(s.decodedByKeyString(ACCOUNT, kS), 'the second read is the cached object').toBe(first)
    expect(Object.isFrozen(first), 'shared values are frozen').toBe(true)
    expect(() => {
      ;(first as { balance: bigint }).balance = 6n
    }, 'a reader cannot change what the next reader sees').toThrow(TypeError)
    s.apply([{ key, value: encodeCanonical(ACCOUNT, { balance: 9n, nonce: 2 }) }])
    expect(s.decodedByKeyString(ACCOUNT, kS), 'apply drops the stale decoded value').toEqual({
      balance: 9n,
      nonce: 2,
    })
    s.apply([{ key, value: null }])
    expect(s.decodedByKeyString(ACCOUNT, kS), 'a deleted key is absent').toBeUndefined()
  })

  it('stays correct when the cache is emptied for being full', () => {
    const s = new MemoryState()
    const count = DECODED_CACHE_MAX + 10
    const entries = Array.from({ length: count }, (_, i) => ({
      key: k(9, i >> 16, (i >> 8) & 255, i & 255),
      value: v(i),
    }))
    s.apply(entries)
    for (const [i, e] of entries.entries())
      expect(s.decodedByKeyString(N, keyString(e.key))).toBe(i)
    expect(s.decodedByKeyString(N, keyString(entries[0]!.key)), 'read again after the reset').toBe(
      0,
    )
  })

  it('feeds an overlay the committed values: a block sees the state after the last apply', () => {
    const s = new MemoryState()
    s.apply([{ key, value: encodeCanonical(ACCOUNT, { balance: 5n, nonce: 1 }) }])
    expect(new Overlay(s).read(ACCOUNT, key)).toEqual({ balance: 5n, nonce: 1 })
    s.apply([{ key, value: encodeCanonical(ACCOUNT, { balance: 4n, nonce: 2 }) }])
    expect(new Overlay(s).read(ACCOUNT, key)).toEqual({ balance: 4n, nonce: 2 })
  })
})

describe('Overlay', () => {
  it('merges buffered writes and deletions into reads, ranges and the write set', () => {
    const base = new MemoryState()
    base.apply([
      { key: k(1), value: v(1) },
      { key: k(2), value: v(2) },
      { key: k(3), value: v(3) },
    ])
    const o = new Overlay(base)
    o.remove(k(2))
    o.write(N, k(4), 4)
    o.write(N, k(1), 1) // same bytes as the base: not a change
    o.write(N, k(0, 5), 9)
    expect(o.read(N, k(2))).toBeUndefined()
    expect(o.read(N, k(3))).toBe(3)
    expect(keysOf(o.range(k(0), null, 10))).toEqual(['0005', '01', '03', '04'])
    expect(keysOf(o.range(k(1), k(4), 2))).toEqual(['01', '03'])
    o.begin()
    o.write(N, k(3), 30)
    o.remove(k(4))
    o.rollback()
    expect(o.read(N, k(3))).toBe(3)
    expect(o.read(N, k(4))).toBe(4)
    const ws = o.writeSet().map((c) => [toHex(c.key), c.value === null ? null : toHex(c.value)])
    expect(ws).toEqual([
      ['0005', '09'],
      ['02', null],
      ['04', '04'],
    ])
  })
})

describe('genesis and checkTx', () => {
  it('rejects inconsistent genesis documents', () => {
    const bad = [
      testGenesis({ operatorQuorum: 4 }),
      testGenesis({ validators: [] }),
      testGenesis({ operators: [K.op1.publicKey, K.op1.publicKey], operatorQuorum: 1 }),
      testGenesis({ balances: [{ account: K.alice.address, pointType: 'NOPE', amount: 1n }] }),
    ]
    for (const [i, g] of bad.entries()) {
      const r = genesisWriteSet(g)
      expect(r.ok ? 'ok' : r.error.code, `genesis ${i}`).toBe('GENESIS_INVALID')
    }
  })
  it('rejects a validator, operator or oracle key that is not a curve point', () => {
    // 02 ‖ x with x = 5: 33 bytes, as the schema asks, but no curve point has that x.
    const offCurve = new Uint8Array(33)
    offCurve[0] = 2
    offCurve[32] = 5
    const bad = [
      testGenesis({ validators: [K.val1.publicKey, offCurve] }),
      testGenesis({ operators: [K.op1.publicKey, K.op2.publicKey, offCurve] }),
      testGenesis({ oracles: [offCurve] }),
    ]
    const problems = bad.map((g) => {
      const r = genesisWriteSet(g)
      return r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`
    })
    expect(problems).toEqual([
      'GENESIS_INVALID: validator key 1 is not a curve point',
      'GENESIS_INVALID: operator key 2 is not a curve point',
      'GENESIS_INVALID: oracle key 0 is not a curve point',
    ])
    expect(genesisWriteSet(testGenesis()).ok).toBe(true)
  })
  it('dry-runs a tx without touching the state', () => {
    const chain = new TestChain()
    const before = chain.state.entries().length
    const ctx = { chainId: CHAIN, height: 1, time: chain.time + 1000n }
    const good = checkTx(
      chain.state,
      ctx,
      tx('points.transfer', K.alice, { pointType: 'UNI', to: K.bob.address, amount: 5n }),
    )
    const bad = checkTx(
      chain.state,
      ctx,
      tx('points.transfer', K.alice, { pointType: 'UNI', to: K.bob.address, amount: 5_001n }),
    )
    expect(good.ok).toBe(true)
    expect(bad.ok ? 'ok' : bad.error.code).toBe('TX_INSUFFICIENT_BALANCE')
    expect(chain.state.entries().length).toBe(before)
  })
})

describe('key strings of the hot paths', () => {
  it('equal the key strings of the byte keys, and keyBytesOf inverts keyString', () => {
    const address = new Uint8Array(20).map((_, i) => 0xf0 + (i % 16))
    const orderId = new Uint8Array(32).map((_, i) => 255 - i)
    // Hand-written layout: prefix 0x07, the address, "ACME" zero-padded to 16 bytes.
    const balanceHex = '07' + toHex(address) + '41434d45' + '00'.repeat(12)
    expect(toHex(keyBytesOf(keyStrings.balance(address, 'ACME')))).toBe(balanceHex)
    expect(keyStrings.balance(address, 'ACME')).toBe(keyString(keys.balance(address, 'ACME')))
    for (const height of [0, 1, 255, 65_536, 0xffff_ffff]) {
      expect(keyStrings.txId(height, orderId), `height ${height}`).toBe(
        keyString(keys.txId(height, orderId)),
      )
    }
    for (const time of [0n, 1n, 1_700_000_000_000n, (1n << 64n) - 2n]) {
      for (const [kind, holder] of [
        [HOLDER_KIND.account, address],
        [HOLDER_KIND.order, orderId],
      ] as const) {
        expect(keyStrings.expiry(time, kind, holder, 'EXP'), `time ${time} kind ${kind}`).toBe(
          keyString(keys.expiry(time, kind, holder, 'EXP')),
        )
      }
    }
    for (const start of [0, 128]) {
      const bytes = new Uint8Array(128).map((_, i) => start + i)
      expect(keyBytesOf(keyString(bytes)), `bytes from ${start}`).toEqual(bytes)
    }
  })
})
