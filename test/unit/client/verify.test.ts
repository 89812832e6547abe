/**
 * Goal: the light client's pure checks accept what an honest node serves and reject every tampered
 * header field, certificate, validator set, tx inclusion proof and balance entry with the right code.
 * Method: a real chain built in-process (genesis, ChainApp over the real VM and state tree, commit
 * certificates signed with four validators' secp256k1 keys; test/support/light-fixture.ts). Each
 * case edits one thing in what the node would serve and checks the exact error code (and the
 * lower-level cause). Expected balances are written out by hand from the genesis and the txs.
 */
import { describe, expect, it } from 'vitest'
import { checkServedBalances, verifyBalanceEntries } from '../../../src/client/balances.ts'
import {
  verifyHeader,
  verifyStateEntry,
  verifyTxInclusion,
  verifyValidatorSet,
  type VerifiedHeader,
} from '../../../src/client/verify.ts'
import type { ClientError } from '../../../src/client/errors.ts'
import { encodeCanonical } from '../../../src/codec/canonical.ts'
import { SIGNED_TX_SCHEMA } from '../../../src/codec/tx.ts'
import {
  CERTIFICATE_SCHEMA,
  HEADER_SCHEMA,
  VALIDATOR_SET_SCHEMA,
  type BlockHeader,
  type CommitCertificate,
} from '../../../src/core/block.ts'
import { toHex } from '../../../src/util/bytes.ts'
import { keys as stateKeys } from '../../../src/vm/keys.ts'
import type { Result } from '../../../src/util/result.ts'
import {
  balancesView,
  certify,
  headerFields,
  setOfKeys,
  sortedKeys,
  stateView,
  txView,
} from '../../support/light-chain.ts'
import { alice, bob, CHAIN, lightChain, T0 } from '../../support/light-fixture.ts'

const chain = lightChain()
const set = chain.genesisSet
const b1 = chain.blocks[1]!

function codeOf<T>(result: Result<T, ClientError>): string {
  return result.ok ? 'OK' : result.error.code
}
function causeOf<T>(result: Result<T, ClientError>): string | undefined {
  return result.ok ? 'OK' : result.error.cause
}
const headerHex = (h: BlockHeader): string => toHex(encodeCanonical(HEADER_SCHEMA, h))
const certHex = (c: CommitCertificate): string => toHex(encodeCanonical(CERTIFICATE_SCHEMA, c))
const flip = (bytes: Uint8Array): Uint8Array => {
  const out = bytes.slice()
  out[out.length - 1] = out[out.length - 1]! ^ 1
  return out
}

function verified(height: number): VerifiedHeader {
  const f = headerFields(chain.blocks[height]!)
  const result = verifyHeader(f.headerHex, f.certificateHex, set, { chainId: CHAIN, height })
  if (!result.ok) throw new Error(`fixture header ${height}: ${result.error.message}`)
  return result.value
}

describe('verifyHeader', () => {
  it('accepts every honest header of the chain', () => {
    for (const block of chain.blocks.slice(1)) {
      const f = headerFields(block)
      const height = block.header.height
      const result = verifyHeader(f.headerHex, f.certificateHex, set, { chainId: CHAIN, height })
      expect(codeOf(result), `height ${height}`).toBe('OK')
    }
  })

  it('detects every tampered header field with the right code', () => {
    const h = b1.header
    const cert = b1.certificate!
    const cases: [keyof BlockHeader, BlockHeader, string][] = [
      ['version', { ...h, version: 2 }, 'CLIENT_MALFORMED'],
      ['chainId', { ...h, chainId: 'other-chain' }, 'CLIENT_CHAIN_MISMATCH'],
      ['height', { ...h, height: 2 }, 'CLIENT_WRONG_HEIGHT'],
      ['round', { ...h, round: 1 }, 'CLIENT_BAD_CERTIFICATE'],
      ['time', { ...h, time: h.time + 1n }, 'CLIENT_BAD_CERTIFICATE'],
      ['proposer', { ...h, proposer: flip(h.proposer) }, 'CLIENT_BAD_CERTIFICATE'],
      ['parentHash', { ...h, parentHash: flip(h.parentHash) }, 'CLIENT_BAD_CERTIFICATE'],
      ['txRoot', { ...h, txRoot: flip(h.txRoot) }, 'CLIENT_BAD_CERTIFICATE'],
      ['stateRoot', { ...h, stateRoot: flip(h.stateRoot) }, 'CLIENT_BAD_CERTIFICATE'],
      ['receiptsRoot', { ...h, receiptsRoot: flip(h.receiptsRoot) }, 'CLIENT_BAD_CERTIFICATE'],
      [
        'validatorsHash',
        { ...h, validatorsHash: flip(h.validatorsHash) },
        'CLIENT_VALIDATORS_MISMATCH',
      ],
      [
        'nextValidatorsHash',
        { ...h, nextValidatorsHash: flip(h.nextValidatorsHash) },
        'CLIENT_BAD_CERTIFICATE',
      ],
    ]
    expect(cases.map((c) => c[0]).sort()).toEqual(Object.keys(h).sort())
    for (const [field, tampered, code] of cases) {
      // The version field fails the schema (u32(1, 1)); encode it by hand via a relaxed copy.
      const hex = field === 'version' ? headerHex(h).replace(/^9c01/, '9c02') : headerHex(tampered)
      const result = verifyHeader(hex, certHex(cert), set, { chainId: CHAIN, height: 1 })
      expect(codeOf(result), `field ${field}`).toBe(code)
      if (code === 'CLIENT_BAD_CERTIFICATE') {
        expect(causeOf(result), `field ${field}`).toBe('CERT_WRONG_BLOCK')
      }
    }
  })

  it('detects every tampered certificate with the certificate code underneath', () => {
    const h = b1.header
    const cert = b1.certificate!
    const sigs = cert.signatures
    const outsider = sortedKeys('outsider', 4)
    const cases: [string, CommitCertificate, string][] = [
      ['dropped signature', { ...cert, signatures: sigs.slice(1) }, 'CERT_TOO_FEW_SIGNATURES'],
      ['no signatures', { ...cert, signatures: [] }, 'CERT_TOO_FEW_SIGNATURES'],
      [
        'flipped signature',
        { ...cert, signatures: [[0, flip(sigs[0]![1])], ...sigs.slice(1)] },
        'CERT_BAD_SIGNATURE',
      ],
      [
        'duplicate signer',
        { ...cert, signatures: [sigs[0]!, sigs[0]!, sigs[1]!] },
        'CERT_UNSORTED',
      ],
      [
        'wrong index',
        {
          ...cert,
          signatures: [
            [1, sigs[0]![1]],
            [2, sigs[1]![1]],
            [3, sigs[2]![1]],
          ],
        },
        'CERT_BAD_SIGNATURE',
      ],
      [
        'index out of the set',
        { ...cert, signatures: [...sigs, [7, sigs[0]![1]]] },
        'CERT_BAD_INDEX',
      ],
      ['other height', { ...cert, height: 2 }, 'CERT_WRONG_HEIGHT'],
      ['other block', { ...cert, blockHash: flip(cert.blockHash) }, 'CERT_WRONG_BLOCK'],
      ['other round', { ...cert, round: 1 }, 'CERT_BAD_SIGNATURE'],
      ['outsiders sign', certify(h, outsider, [0, 1, 2]), 'CERT_BAD_SIGNATURE'],
      ['certificate of block 2', chain.blocks[2]!.certificate!, 'CERT_WRONG_HEIGHT'],
    ]
    for (const [what, tampered, cause] of cases) {
      const result = verifyHeader(headerHex(h), certHex(tampered), set, { chainId: CHAIN })
      expect(codeOf(result), what).toBe('CLIENT_BAD_CERTIFICATE')
      expect(causeOf(result), what).toBe(cause)
    }
    // All four seals are fine too; three of four is the quorum.
    const full = certify(h, chain.keys, [0, 1, 2, 3])
    expect(codeOf(verifyHeader(headerHex(h), certHex(full), set))).toBe('OK')
  })

  it('rejects another validator set and malformed encodings', () => {
    const other = setOfKeys(sortedKeys('other', 4))
    const f = headerFields(b1)
    expect(codeOf(verifyHeader(f.headerHex, f.certificateHex, other))).toBe(
      'CLIENT_VALIDATORS_MISMATCH',
    )
    expect(codeOf(verifyHeader('zz', f.certificateHex, set))).toBe('CLIENT_MALFORMED')
    expect(codeOf(verifyHeader(42, f.certificateHex, set))).toBe('CLIENT_MALFORMED')
    expect(codeOf(verifyHeader(f.headerHex.slice(0, -2), f.certificateHex, set))).toBe(
      'CLIENT_MALFORMED',
    )
    expect(codeOf(verifyHeader(f.headerHex, `${f.certificateHex}00`, set))).toBe('CLIENT_MALFORMED')
    expect(codeOf(verifyHeader(f.headerHex, null, set))).toBe('CLIENT_MALFORMED')
  })
})

describe('verifyValidatorSet', () => {
  it('accepts the set that hashes to the hash and rejects any other', () => {
    const hash = b1.header.validatorsHash
    const hex = toHex(encodeCanonical(VALIDATOR_SET_SCHEMA, set))
    expect(codeOf(verifyValidatorSet(hex, hash))).toBe('OK')
    const other = toHex(encodeCanonical(VALIDATOR_SET_SCHEMA, setOfKeys(sortedKeys('other', 4))))
    expect(codeOf(verifyValidatorSet(other, hash))).toBe('CLIENT_VALIDATORS_MISMATCH')
    const fewer = toHex(encodeCanonical(VALIDATOR_SET_SCHEMA, set.slice(1)))
    expect(codeOf(verifyValidatorSet(fewer, hash))).toBe('CLIENT_VALIDATORS_MISMATCH')
    const unsorted = toHex(encodeCanonical(VALIDATOR_SET_SCHEMA, [...set].reverse()))
    expect(codeOf(verifyValidatorSet(unsorted, hash))).toBe('CLIENT_MALFORMED')
    expect(codeOf(verifyValidatorSet('00', hash))).toBe('CLIENT_MALFORMED')
  })
})

describe('verifyTxInclusion', () => {
  const header = verified(1)
  const txIds = b1.txs.map((t) => t.txId)
  const view = (i: number) => txView(chain, toHex(txIds[i]!))!

  it('accepts every tx of the block with its receipt', () => {
    expect(b1.txs.length, 'fixture: three txs in block 1').toBe(3)
    for (let i = 0; i < 3; i++) {
      const result = verifyTxInclusion(header, txIds[i]!, view(i))
      expect(codeOf(result), `tx ${i}`).toBe('OK')
      if (result.ok) {
        expect(result.value.index, `tx ${i}`).toBe(i)
        expect(result.value.receipt.ok, `tx ${i} committed successfully`).toBe(true)
      }
    }
  })

  it('detects every tampered part with the right code', () => {
    const v = view(1)
    const other = view(2)
    const proof = v.proof
    const receiptProof = v.receiptProof
    const badSig = toHex(
      encodeCanonical(SIGNED_TX_SCHEMA, [b1.txs[1]!.txBytes, flip(b1.txs[1]!.signature)]),
    )
    const cases: [string, object, string][] = [
      ['another signed tx', { ...v, signedTxHex: other.signedTxHex }, 'CLIENT_TX_MISMATCH'],
      ['bad tx signature', { ...v, signedTxHex: badSig }, 'CLIENT_TX_MISMATCH'],
      ['another receipt', { ...v, receiptHex: other.receiptHex }, 'CLIENT_TX_MISMATCH'],
      ['another index', { ...v, index: 2 }, 'CLIENT_TX_MISMATCH'],
      [
        'flipped proof sibling',
        {
          ...v,
          proof: [{ ...proof[0]!, sibling: toHex(flip(new Uint8Array(32))) }, ...proof.slice(1)],
        },
        'CLIENT_PROOF_MISMATCH',
      ],
      [
        'flipped proof side',
        {
          ...v,
          proof: [{ ...proof[0]!, siblingOnLeft: !proof[0]!.siblingOnLeft }, ...proof.slice(1)],
        },
        'CLIENT_PROOF_MISMATCH',
      ],
      ['truncated proof', { ...v, proof: proof.slice(1) }, 'CLIENT_PROOF_MISMATCH'],
      [
        'receipt proof of another tx',
        { ...v, receiptProof: other.receiptProof },
        'CLIENT_PROOF_MISMATCH',
      ],
      [
        'truncated receipt proof',
        { ...v, receiptProof: receiptProof.slice(1) },
        'CLIENT_PROOF_MISMATCH',
      ],
      ['proof is not a list', { ...v, proof: 'x' }, 'CLIENT_MALFORMED'],
      [
        'short sibling',
        { ...v, proof: [{ sibling: 'ab', siblingOnLeft: true }] },
        'CLIENT_MALFORMED',
      ],
      ['bad receipt bytes', { ...v, receiptHex: '00' }, 'CLIENT_MALFORMED'],
      ['bad index', { ...v, index: -1 }, 'CLIENT_MALFORMED'],
    ]
    for (const [what, tampered, code] of cases) {
      expect(codeOf(verifyTxInclusion(header, txIds[1]!, tampered as never)), what).toBe(code)
    }
    // The honest proof against another block's header does not reach its roots.
    expect(codeOf(verifyTxInclusion(verified(2), txIds[1]!, v as never))).toBe(
      'CLIENT_PROOF_MISMATCH',
    )
  })
})

describe('verified state and balances', () => {
  const head = verified(3)

  it('proves a value and an absence at the head', () => {
    const account = stateView(chain, toHex(stateKeys.pointType('ACME')))
    const present = verifyStateEntry(head, account.key, account.valueHex, account.proofHex)
    const absentKey = stateView(chain, `02${'ee'.repeat(20)}`)
    expect(absentKey.valueHex, 'fixture: unknown account is absent').toBeNull()
    const absent = verifyStateEntry(head, absentKey.key, null, absentKey.proofHex)
    expect(codeOf(absent)).toBe('OK')
    // Claiming the absent key has a value, or the present one is absent, fails.
    expect(codeOf(verifyStateEntry(head, absentKey.key, '00', absentKey.proofHex))).toBe(
      'CLIENT_PROOF_MISMATCH',
    )
    expect(account.valueHex, 'fixture: the ACME point type exists').not.toBeNull()
    expect(codeOf(present)).toBe('OK')
    expect(codeOf(verifyStateEntry(head, account.key, null, account.proofHex))).toBe(
      'CLIENT_PROOF_MISMATCH',
    )
  })

  it('recomputes the balances by hand-known values from proven entries', () => {
    const served = balancesView(chain, toHex(alice.address))
    const result = verifyBalanceEntries(head, alice.address, served.entries)
    expect(codeOf(result)).toBe('OK')
    if (!result.ok) return
    // Genesis: ACME 1000, UNI 5000; block 1 (time T0 + 1000): +300 EXP expiring 10 s later, −250 ACME.
    const got = result.value.balances.map((b) => [
      b.pointType,
      b.amount,
      b.available,
      b.lots.map((l) => [l.amount, l.expiresAt]),
    ])
    expect(got).toEqual([
      ['ACME', 750n, 750n, [[750n, null]]],
      ['EXP', 300n, 300n, [[300n, T0 + 1000n + 10_000n]]],
      ['UNI', 5000n, 5000n, [[5000n, null]]],
    ])
    expect(codeOf(checkServedBalances(result.value, served.balances))).toBe('OK')
    const bobView = balancesView(chain, toHex(bob.address))
    const bobs = verifyBalanceEntries(head, bob.address, bobView.entries)
    // Genesis: BETA 2000, LOCK 100; block 1: +40 ACME issued, +250 ACME from alice.
    expect(bobs.ok && bobs.value.balances.map((b) => [b.pointType, b.amount])).toEqual([
      ['ACME', 290n],
      ['BETA', 2000n],
      ['LOCK', 100n],
    ])
  })

  it('detects altered entries and altered JSON numbers', () => {
    const served = balancesView(chain, toHex(alice.address))
    const entries = served.entries
    const balances = served.balances
    const bobEntries = balancesView(chain, toHex(bob.address)).entries
    const e0 = entries[0]!
    const other = entries[1]!
    const altered = (i: number, patch: Partial<(typeof entries)[0]>) =>
      entries.map((e, j) => (j === i ? { ...e, ...patch } : e))
    const entryCases: [string, unknown, string][] = [
      ['altered value', altered(0, { valueHex: other.valueHex }), 'CLIENT_PROOF_MISMATCH'],
      ['proof of another key', altered(0, { proofHex: other.proofHex }), 'CLIENT_PROOF_MISMATCH'],
      ['value claimed absent', altered(0, { valueHex: null as never }), 'CLIENT_PROOF_MISMATCH'],
      ['entry of another address', [...entries, bobEntries[0]!], 'CLIENT_MALFORMED'],
      ['entry twice', [...entries, e0], 'CLIENT_MALFORMED'],
      ['not a list', {}, 'CLIENT_MALFORMED'],
    ]
    for (const [what, tampered, code] of entryCases) {
      expect(codeOf(verifyBalanceEntries(head, alice.address, tampered)), what).toBe(code)
    }
    const proven = verifyBalanceEntries(head, alice.address, entries)
    if (!proven.ok) throw new Error('fixture: honest entries verify')
    const jsonCases: [string, unknown][] = [
      ['amount raised', balances.map((b, i) => (i === 0 ? { ...b, amount: '1000750' } : b))],
      ['balance hidden', balances.slice(1)],
      ['balance invented', [...balances, { pointType: 'BETA', amount: '1', lots: [] }]],
      [
        'lot altered',
        balances.map((b, i) => (i === 0 ? { ...b, lots: [{ amount: '1', expiresAt: null }] } : b)),
      ],
    ]
    for (const [what, tampered] of jsonCases) {
      expect(codeOf(checkServedBalances(proven.value, tampered)), what).toBe(
        'CLIENT_VALUE_MISMATCH',
      )
    }
  })
})
