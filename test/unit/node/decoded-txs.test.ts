/**
 * Goal: the decoded-tx cache answers exactly what `decodeSignedTx` answers, decodes a byte string
 * once while it is held (also when the same bytes arrive in another buffer, as a proposal's
 * sub-array), never holds a failed decode, drops the oldest entry at its bound, and forgets
 * committed txs. Two byte strings sharing a slot (the same last six bytes) never get each other's
 * decode: the first keeps the slot, and forgetting the other leaves it.
 * Method: real signed txs from fixed keys; the reference is `decodeSignedTx` itself on the bytes.
 */
import { describe, expect, it } from 'vitest'
import { decodeSignedTx } from '../../../src/codec/tx.ts'
import { DecodedTxCache } from '../../../src/node/decoded-txs.ts'
import { signedTransfer, signers } from '../../support/mempool-txs.ts'

const [signer] = signers(1) as [ReturnType<typeof signers>[number]]
const txs = [0, 1, 2].map((i) => signedTransfer(signer, i, 100).signedBytes)

/** The same bytes inside a larger buffer, at an offset (how a decoded proposal holds them). */
function embedded(bytes: Uint8Array): Uint8Array {
  const buffer = new Uint8Array(bytes.length + 7)
  buffer.set(bytes, 3)
  return buffer.subarray(3, 3 + bytes.length)
}

describe('DecodedTxCache', () => {
  it('answers as decodeSignedTx and decodes each byte string once', () => {
    const cache = new DecodedTxCache(10)
    const first = cache.decode(txs[0]!)
    expect(first).toEqual(decodeSignedTx(txs[0]!))
    const again = cache.decode(embedded(txs[0]!))
    expect(again.ok && first.ok && again.value === first.value).toBe(true)
    expect([cache.hits, cache.misses, cache.size]).toEqual([1, 1, 1])
  })

  it('keeps no failed decode', () => {
    const cache = new DecodedTxCache(10)
    const bad = Uint8Array.of(0xc1, 0x00)
    const result = cache.decode(bad)
    expect(result).toEqual(decodeSignedTx(bad))
    expect(result.ok).toBe(false)
    expect(cache.decode(bad).ok).toBe(false)
    expect([cache.hits, cache.misses, cache.size]).toEqual([0, 2, 0])
  })

  it('drops the oldest at its bound and forgets committed txs', () => {
    const cache = new DecodedTxCache(2)
    for (const tx of txs) cache.decode(tx)
    expect(cache.size).toBe(2)
    cache.decode(txs[0]!) // evicted first: decoded again
    expect([cache.hits, cache.misses]).toEqual([0, 4])
    cache.decode(txs[2]!) // still held
    expect([cache.hits, cache.misses]).toEqual([1, 4])
    cache.forget([txs[2]!, txs[1]!])
    expect(cache.size).toBe(1)
    cache.decode(txs[2]!)
    expect([cache.hits, cache.misses]).toEqual([1, 5])
  })
})

describe('DecodedTxCache and its input buffers', () => {
  it('holds a decoded tx on its own bytes, not on the buffer it arrived in', () => {
    const cache = new DecodedTxCache(10)
    const arriving = embedded(txs[1]!)
    const decoded = cache.decode(arriving)
    if (!decoded.ok) throw new Error('fixture decodes')
    expect(Array.from(decoded.value.signedBytes)).toEqual(Array.from(txs[1]!))
    expect(decoded.value.signedBytes.buffer).not.toBe(arriving.buffer)
    expect(decoded.value.txBytes.buffer).not.toBe(arriving.buffer)
  })
})

describe('DecodedTxCache slots', () => {
  /** Another tx whose signed bytes end as `like`'s do: the same slot, different bytes. */
  function sameSlotAs(like: Uint8Array, other: Uint8Array): Uint8Array {
    const forged = other.slice()
    forged.set(like.subarray(like.length - 6), forged.length - 6)
    return forged
  }

  it('never answers one byte string with another that shares its slot', () => {
    const cache = new DecodedTxCache(10)
    const first = txs[0]!
    const rival = sameSlotAs(first, txs[1]!)
    expect(decodeSignedTx(rival).ok, 'the rival decodes').toBe(true)
    const held = cache.decode(first)
    for (let i = 0; i < 2; i++) {
      const result = cache.decode(rival)
      expect(result).toEqual(decodeSignedTx(rival))
      expect(result.ok && held.ok && result.value === held.value).toBe(false)
    }
    expect([cache.hits, cache.misses, cache.size], 'the rival is decoded each time').toEqual([
      0, 3, 1,
    ])
    const again = cache.decode(first)
    expect(again.ok && held.ok && again.value === held.value, 'the slot stays the first').toBe(true)
    cache.forget([rival])
    expect(cache.size, 'forgetting the rival keeps the first').toBe(1)
    cache.forget([first])
    expect(cache.size).toBe(0)
  })

  it('handles byte strings shorter than a key', () => {
    const cache = new DecodedTxCache(10)
    for (const short of [new Uint8Array(0), Uint8Array.of(0x90), Uint8Array.of(1, 2, 3, 4, 5)]) {
      expect(cache.decode(short)).toEqual(decodeSignedTx(short))
    }
    expect(cache.size).toBe(0)
  })
})
