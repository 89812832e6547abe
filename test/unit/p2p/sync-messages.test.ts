/**
 * Goal: the sync wire messages have the documented canonical bytes, round-trip, and every kind of
 * bad input is refused with a coded error (never thrown): wrong version, out-of-range counts and
 * heights, oversize input, non-canonical integers, garbage.
 * Method: hand-written msgpack bytes as golden values (not produced by the code under test), plus
 * round trips of a response with a real block and certificate.
 */
import { describe, expect, it } from 'vitest'
import { SYNC_REQUEST_BYTES_MAX, SYNC_RESPONSE_BYTES_MAX } from '../../../src/p2p/limits.ts'
import {
  SYNC_BLOCKS_PER_RESPONSE_MAX,
  decodeSyncRequest,
  decodeSyncResponse,
  encodeSyncRequest,
  encodeSyncResponse,
} from '../../../src/p2p/sync-messages.ts'
import { engineChain } from '../../support/certified-chain.ts'

const chain = engineChain(2)

describe('sync request', () => {
  it('encodes [1, fromHeight, countMax] as a canonical msgpack array', () => {
    // fixarray(3), 1, 5, 64 — and 300 as uint16 (0xcd 0x01 0x2c).
    expect(encodeSyncRequest({ version: 1, fromHeight: 5, countMax: 64 })).toEqual(
      new Uint8Array([0x93, 0x01, 0x05, 0x40]),
    )
    expect(encodeSyncRequest({ version: 1, fromHeight: 300, countMax: 1 })).toEqual(
      new Uint8Array([0x93, 0x01, 0xcd, 0x01, 0x2c, 0x01]),
    )
    const decoded = decodeSyncRequest(new Uint8Array([0x93, 0x01, 0x05, 0x40]))
    expect(decoded).toEqual({ ok: true, value: { version: 1, fromHeight: 5, countMax: 64 } })
  })

  it.each([
    ['version 2', [0x93, 0x02, 0x05, 0x40], 'CODEC_SHAPE'],
    ['fromHeight 0 (genesis has no certificate)', [0x93, 0x01, 0x00, 0x40], 'CODEC_SHAPE'],
    ['countMax 0', [0x93, 0x01, 0x05, 0x00], 'CODEC_SHAPE'],
    ['countMax 65', [0x93, 0x01, 0x05, 0x41], 'CODEC_SHAPE'],
    ['two fields', [0x92, 0x01, 0x05], 'CODEC_SHAPE'],
    ['5 as uint8 (non-canonical)', [0x93, 0x01, 0xcc, 0x05, 0x40], 'CODEC_NON_CANONICAL'],
    ['truncated', [0x93, 0x01], 'CODEC_MALFORMED'],
    ['empty', [], 'CODEC_MALFORMED'],
  ])('refuses %s with SYNC_MALFORMED', (_name, bytes, codecCode) => {
    const decoded = decodeSyncRequest(new Uint8Array(bytes))
    expect(decoded).toMatchObject({ ok: false, error: { code: 'SYNC_MALFORMED', codecCode } })
  })

  it('refuses oversize input with SYNC_TOO_LARGE', () => {
    const decoded = decodeSyncRequest(new Uint8Array(SYNC_REQUEST_BYTES_MAX + 1))
    expect(decoded).toMatchObject({ ok: false, error: { code: 'SYNC_TOO_LARGE' } })
  })
})

describe('sync response', () => {
  it('encodes [1, headHeight, [[block, certificate], ...]] and round-trips', () => {
    expect(encodeSyncResponse({ version: 1, headHeight: 7, entries: [] })).toEqual(
      new Uint8Array([0x93, 0x01, 0x07, 0x90]),
    )
    const response = { version: 1, headHeight: 9, entries: chain.entries.slice() }
    const bytes = encodeSyncResponse(response)
    // fixarray(3), version 1, head 9, fixarray(2) of entries, the first a fixarray(2) pair.
    expect(Array.from(bytes.subarray(0, 5))).toEqual([0x93, 0x01, 0x09, 0x92, 0x92])
    const decoded = decodeSyncResponse(bytes)
    expect(decoded.ok).toBe(true)
    if (!decoded.ok) return
    expect(decoded.value).toEqual(response)
  })

  it('refuses too many entries, garbage and oversize input with coded errors', () => {
    const entry = chain.entries[0]!
    const many = Array.from({ length: SYNC_BLOCKS_PER_RESPONSE_MAX + 1 }, () => entry)
    expect(() => encodeSyncResponse({ version: 1, headHeight: 1, entries: many })).toThrow()
    // Build the oversized list by hand: array16 header (0xdc 0x00 0x41) and 65 copies of an entry.
    const one = encodeSyncResponse({ version: 1, headHeight: 1, entries: [entry] })
    const entryBytes = one.subarray(4) // after 0x93 0x01 0x01 0x91
    const parts: Uint8Array[] = [new Uint8Array([0x93, 0x01, 0x01, 0xdc, 0x00, 0x41])]
    for (let i = 0; i < 65; i++) parts.push(entryBytes)
    const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
    let at = 0
    for (const p of parts) {
      joined.set(p, at)
      at += p.length
    }
    expect(decodeSyncResponse(joined)).toMatchObject({
      ok: false,
      error: { code: 'SYNC_MALFORMED', codecCode: 'CODEC_SHAPE' },
    })
    expect(decodeSyncResponse(new Uint8Array([0xc1, 0x00]))).toMatchObject({
      ok: false,
      error: { code: 'SYNC_MALFORMED' },
    })
    expect(decodeSyncResponse(new Uint8Array(SYNC_RESPONSE_BYTES_MAX + 1))).toMatchObject({
      ok: false,
      error: { code: 'SYNC_TOO_LARGE' },
    })
  })
})
