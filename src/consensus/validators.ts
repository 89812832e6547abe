/**
 * Validator sets, quorums, proposer rotation and commit certificates.
 * Spec: docs/protocol/consensus.md#validators and #certificates; SPEC.md section 5.
 *
 * A set is sorted by public key bytes, with no key twice and equal power 1. With n validators the
 * protocol tolerates `f = floor((n - 1) / 3)` faults and needs `quorum = ceil(2n / 3)` votes; for
 * n = 3f + 1 that is 2f + 1. Any two quorums intersect in more than f validators, so in at least one
 * honest one.
 */
import { encodeCanonical } from '../codec/canonical.ts'
import { hashTagged } from '../codec/hash.ts'
import {
  VALIDATOR_COUNT_MAX,
  VALIDATOR_SET_SCHEMA,
  type CommitCertificate,
  type Validator,
} from '../core/block.ts'
import { assert } from '../util/assert.ts'
import { compareBytes, equalBytes } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'
import { voteDigest, type SignedVote, type VerifyDigest } from './messages.ts'

/** Most faulty validators a set of `n` tolerates. */
export function faultMax(n: number): number {
  assert(n >= 1 && n <= VALIDATOR_COUNT_MAX, `validator count ${n}`)
  return Math.floor((n - 1) / 3)
}

/** Votes needed for a quorum among `n` equal-power validators: `ceil(2n / 3)`. */
export function quorumOf(n: number): number {
  assert(n >= 1 && n <= VALIDATOR_COUNT_MAX, `validator count ${n}`)
  const q = Math.ceil((2 * n) / 3)
  // Two quorums overlap in 2q - n > f validators; n - f honest validators can form one.
  assert(2 * q - n > faultMax(n), 'quorums intersect in an honest validator')
  assert(n - faultMax(n) >= q, 'honest validators alone form a quorum')
  return q
}

/** True when `validators` is sorted by public key with no duplicate and within limits. */
export function isWellFormedSet(validators: readonly Validator[]): boolean {
  if (validators.length === 0 || validators.length > VALIDATOR_COUNT_MAX) return false
  for (let i = 1; i < validators.length; i++) {
    if (compareBytes(validators[i - 1]!.publicKey, validators[i]!.publicKey) >= 0) return false
  }
  return validators.every((v) => v.power === 1 && v.publicKey.length === 33)
}

/** `sha256("pointsnode/validators#" ‖ encode(set))`: the header's validatorsHash. */
export function validatorsHashOf(validators: readonly Validator[]): Uint8Array {
  assert(isWellFormedSet(validators), 'validator set is sorted, unique and non-empty')
  return hashTagged('validators', encodeCanonical(VALIDATOR_SET_SCHEMA, [...validators]))
}

/** Index of `publicKey` in the set, or -1. */
export function indexOfValidator(validators: readonly Validator[], publicKey: Uint8Array): number {
  for (let i = 0; i < validators.length; i++) {
    if (equalBytes(validators[i]!.publicKey, publicKey)) return i
  }
  return -1
}

/** The proposer of `(height, round)`: `validators[(height + round) mod n]`. */
export function proposerOf(
  validators: readonly Validator[],
  height: number,
  round: number,
): Validator {
  assert(validators.length > 0, 'non-empty validator set')
  const index = (height + round) % validators.length
  const proposer = validators[index]
  assert(proposer !== undefined, 'proposer index in range')
  return proposer
}

/** A change the app asks for: add (`power` 1) or remove (`power` 0) a validator. */
export interface ValidatorUpdate {
  readonly publicKey: Uint8Array
  readonly power: 0 | 1
}

/**
 * Applies updates in order to a set; the result is sorted. Removing an absent key or adding a
 * present one is a no-op; an update that would empty the set or exceed the limit is skipped.
 */
export function applyValidatorUpdates(
  validators: readonly Validator[],
  updates: readonly ValidatorUpdate[],
): Validator[] {
  let out = [...validators]
  for (const u of updates) {
    const at = indexOfValidator(out, u.publicKey)
    if (u.power === 0 && at >= 0 && out.length > 1) out = out.filter((_, i) => i !== at)
    if (u.power === 1 && at < 0 && out.length < VALIDATOR_COUNT_MAX) {
      out.push({ publicKey: u.publicKey, power: 1 })
    }
  }
  out.sort((a, b) => compareBytes(a.publicKey, b.publicKey))
  assert(isWellFormedSet(out), 'updated validator set is well formed')
  return out
}

/** Certificate rejection codes. */
export type CertificateErrorCode =
  | 'CERT_WRONG_HEIGHT'
  | 'CERT_WRONG_BLOCK'
  | 'CERT_BAD_INDEX'
  | 'CERT_UNSORTED'
  | 'CERT_BAD_SIGNATURE'
  | 'CERT_TOO_FEW_SIGNATURES'

/** Why a certificate was rejected. */
export interface CertificateError {
  readonly code: CertificateErrorCode
  readonly message: string
}

/** What a certificate must prove. */
export interface CertificateClaim {
  readonly chainId: string
  readonly height: number
  readonly blockHash: Uint8Array
}

/**
 * Verifies that `certificate` holds commit seals of at least a quorum of distinct validators of
 * `validators` (the set of the certificate's height) for `claim`.
 */
export function verifyCertificate(
  certificate: CommitCertificate,
  claim: CertificateClaim,
  validators: readonly Validator[],
  verify: VerifyDigest,
): Result<void, CertificateError> {
  assert(isWellFormedSet(validators), 'verifying against a well-formed set')
  if (certificate.height !== claim.height) {
    const message = `certificate height ${certificate.height}, expected ${claim.height}`
    return err({ code: 'CERT_WRONG_HEIGHT', message })
  }
  if (!equalBytes(certificate.blockHash, claim.blockHash)) {
    return err({ code: 'CERT_WRONG_BLOCK', message: 'certificate is for another block' })
  }
  const digest = voteDigest({
    type: 'commit',
    chainId: claim.chainId,
    height: claim.height,
    round: certificate.round,
    blockHash: claim.blockHash,
  })
  let previous = -1
  for (const [index, signature] of certificate.signatures) {
    if (index <= previous) {
      return err({ code: 'CERT_UNSORTED', message: `index ${index} after ${previous}` })
    }
    previous = index
    const validator = validators[index]
    if (!validator) return err({ code: 'CERT_BAD_INDEX', message: `no validator ${index}` })
    if (!verify(signature, digest, validator.publicKey)) {
      return err({ code: 'CERT_BAD_SIGNATURE', message: `bad seal of validator ${index}` })
    }
  }
  const quorum = quorumOf(validators.length)
  if (certificate.signatures.length < quorum) {
    const message = `${certificate.signatures.length} seals < quorum ${quorum}`
    return err({ code: 'CERT_TOO_FEW_SIGNATURES', message })
  }
  return ok(undefined)
}

/** Builds a certificate from verified commit votes for one (height, round, block), sorted by index. */
export function buildCertificate(
  commits: readonly SignedVote[],
  validators: readonly Validator[],
): CommitCertificate {
  assert(commits.length > 0, 'a certificate needs commits')
  const first = commits[0]!.payload
  const signatures: [number, Uint8Array][] = []
  for (const c of commits) {
    assert(c.payload.type === 'commit', 'certificates hold commit seals')
    assert(c.payload.round === first.round, 'one round per certificate')
    assert(equalBytes(c.payload.blockHash, first.blockHash), 'one block per certificate')
    const index = indexOfValidator(validators, c.signer)
    assert(index >= 0, 'commit signer is a validator')
    signatures.push([index, c.signature])
  }
  signatures.sort((a, b) => a[0] - b[0])
  for (let i = 1; i < signatures.length; i++) {
    assert(signatures[i - 1]![0] < signatures[i]![0], 'one seal per validator')
  }
  return { height: first.height, round: first.round, blockHash: first.blockHash, signatures }
}
