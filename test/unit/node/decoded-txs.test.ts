/**
 * Goal: the decoded-tx cache answers exactly what `decodeSignedTx` answers, decodes a byte string
 * once while it is held (also when the same bytes arrive in another buffer, as a proposal's
 * sub-array), never holds a failed decode, drops the oldest entry at its bound, and forgets
 * committed txs.
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
