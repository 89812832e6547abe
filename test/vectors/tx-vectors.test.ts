/**
 * Goal: the tx encoding, txId and signature never drift (a drift is a consensus break).
 * Method: rebuild every vector's tx from the fixed fixtures and compare bytes to the frozen JSON;
 * check txId and signature with node:crypto (an implementation independent of the code under test)
 * and check the layout with msgpackr's default decoder (not the project's canonical codec).
 */
import { createHash, createPublicKey, verify } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { unpack } from 'msgpackr'
import { describe, expect, it } from 'vitest'
import { decodeSignedTx } from '../../src/codec/tx.ts'
import { TX_KINDS } from '../../src/core/tx.ts'
import { signTx } from '../../src/crypto/tx-signature.ts'
import { toHex } from '../../src/util/bytes.ts'
import { sampleTx, testKey } from '../support/fixtures.ts'

interface Vector {
  kind: string
  full: boolean
  signerLabel: string
  publicKey: string
  txBytes: string
  txId: string
  signature: string
  signedBytes: string
}

const doc = JSON.parse(readFileSync(new URL('./tx-vectors.json', import.meta.url), 'utf8')) as {
  vectors: Vector[]
}
const SPKI33 = Buffer.from('3036301006072a8648ce3d020106052b8104000a032200', 'hex')

describe('golden tx vectors', () => {
  it('cover every tx kind, with and without optional fields', () => {
    for (const kind of TX_KINDS) {
      const forKind = doc.vectors.filter((v) => v.kind === kind)
      expect(forKind.map((v) => v.full).sort(), kind).toEqual([false, true])
    }
  })

  for (const v of doc.vectors) {
    it(`${v.kind} (${v.full ? 'full' : 'minimal'}) encodes, hashes and signs byte for byte`, () => {
      const key = testKey(v.signerLabel)
      const signed = signTx(
        sampleTx(v.kind as (typeof TX_KINDS)[number], key, v.full),
        key.secretKey,
      )
      expect(toHex(signed.txBytes)).toBe(v.txBytes)
      expect(toHex(signed.txId)).toBe(v.txId)
      expect(toHex(signed.signature)).toBe(v.signature)
      expect(toHex(signed.signedBytes)).toBe(v.signedBytes)
    })

    it(`${v.kind} (${v.full ? 'full' : 'minimal'}) checks out with independent tools`, () => {
      const txBytes = Buffer.from(v.txBytes, 'hex')
      const preimage = Buffer.concat([Buffer.from('pointsnode/tx'), txBytes])
      expect(createHash('sha256').update(preimage).digest('hex')).toBe(v.txId)
      const key = createPublicKey({
        key: Buffer.concat([SPKI33, Buffer.from(v.publicKey, 'hex')]),
        format: 'der',
        type: 'spki',
      })
      const sig = Buffer.from(v.signature, 'hex')
      expect(verify('sha256', preimage, { key, dsaEncoding: 'ieee-p1363' }, sig)).toBe(true)
      const envelope = unpack(txBytes) as unknown[]
      expect(envelope).toHaveLength(7)
      expect(envelope[0]).toBe(1)
      expect(envelope[2]).toBe(v.kind)
      expect(Buffer.from(envelope[4] as Uint8Array).toString('hex')).toBe(v.publicKey)
      const decoded = decodeSignedTx(Buffer.from(v.signedBytes, 'hex'))
      expect(decoded.ok && toHex(decoded.value.txId)).toBe(v.txId)
    })
  }
})
