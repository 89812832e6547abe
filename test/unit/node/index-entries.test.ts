/**
 * Goal: the account-history index records each tx once per address it concerns: the signer, and a
 * counterparty unless it is the signer (a transfer to oneself is one record); issuance and rate
 * records name the signer's address; a failed tx gets history but no issuance; an auction that
 * traded counts as exchanged for the issuers of both its point types.
 * Method: signed sample txs from fixed test keys, put into the execution shape the node commits;
 * expected addresses are the test keys' own (derived by the fixtures, not by the index code).
 */
import { describe, expect, it } from 'vitest'
import type { ChainExecution } from '../../../src/chain/app.ts'
import type { BlockHeader } from '../../../src/core/block.ts'
import type { Tx } from '../../../src/core/tx.ts'
import { signTx } from '../../../src/crypto/tx-signature.ts'
import { deriveIndexEntries } from '../../../src/node/index-entries.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { sampleTx, testKey } from '../../support/fixtures.ts'

const alice = testKey('alice')
const acme = testKey('acme')
const beta = testKey('beta')

function executionOf(txs: readonly Tx[], ok: readonly boolean[]): ChainExecution {
  const signed = txs.map((tx) => signTx(tx, alice.secretKey))
  const receipts = ok.map((good, index) => ({ ok: good, index }))
  return {
    txs: signed,
    result: { receipts, burns: [], auctions: [] },
  } as unknown as ChainExecution
}

const header = { height: 9, time: 1_700_000_000_000n } as BlockHeader

describe('deriveIndexEntries', () => {
  it('records the signer and the counterparty, and a transfer to oneself once', () => {
    const toAcme = sampleTx('points.transfer', alice)
    const toSelf = {
      ...toAcme,
      body: { ...(toAcme.body as object), to: alice.address },
    } as Tx
    const entries = deriveIndexEntries(header, executionOf([toAcme, toSelf], [true, true]))
    const rows = entries.history.map((r) => `${r.index}:${toHex(r.address)}:${r.kind}`)
    expect(rows).toEqual([
      `0:${toHex(alice.address)}:points.transfer`,
      `0:${toHex(acme.address)}:points.transfer`,
      `1:${toHex(alice.address)}:points.transfer`,
    ])
    expect(entries.history.every((r) => r.height === 9)).toBe(true)
  })

  it('names the signer as issuer and oracle, and skips the issuance of a failed tx', () => {
    const issue = sampleTx('points.issue', alice)
    const rate = sampleTx('rate.set', alice)
    const entries = deriveIndexEntries(
      header,
      executionOf([issue, rate, issue], [true, true, false]),
    )
    expect(entries.issuances.map((r) => toHex(r.issuer))).toEqual([toHex(alice.address)])
    expect(entries.rates.map((r) => toHex(r.oracle))).toEqual([toHex(alice.address)])
    // History covers every tx of the block, failed ones too.
    expect(new Set(entries.history.map((r) => r.index))).toEqual(new Set([0, 1, 2]))
  })

  it('counts what traded in auctions as exchanged, for the base and the quote issuer', () => {
    const auction = (market: string, volume: bigint, quoteVolume: bigint, base = acme) => ({
      market,
      price: volume === 0n ? null : 2n,
      volume,
      quoteVolume,
      orders: 2,
      filled: volume === 0n ? 0 : 2,
      baseIssuer: base.address,
      quoteIssuer: beta.address,
    })
    const execution = {
      txs: [],
      result: {
        receipts: [],
        burns: [],
        // ACME/BETA traded; ACME/B2 took part but did not trade; B3/BETA is beta's on both sides.
        auctions: [
          auction('ACME/BETA', 100n, 250n),
          auction('ACME/B2', 0n, 0n),
          auction('B3/BETA', 7n, 3n, beta),
        ],
      },
    } as unknown as ChainExecution
    const stats = deriveIndexEntries(header, execution).stats
    const exchanged = stats.map((s) => `${toHex(s.enterprise)}:${s.exchanged}`).sort()
    expect(exchanged).toEqual(
      [`${toHex(acme.address)}:100`, `${toHex(beta.address)}:${250 + 7 + 3}`].sort(),
    )
    expect(stats.every((s) => s.issued === 0n && s.time === header.time)).toBe(true)
  })
})
