/**
 * Pure verification of what a node serves (SPEC §10; docs/api.md#light-client; the read contract of the
 * API): headers by commit certificate against a trusted validator set, validator sets by hash, tx
 * inclusion by Merkle proofs under the certified header, and state values by state proofs under its
 * state root. Every bad input gives a coded `ClientError`; nothing here throws on node data.
 * Browser-safe: util, codec, core, crypto, consensus (pure) and @noble/* only.
 */
import { decodeCanonical } from '../codec/canonical.ts'
import { verifyMerkleProof, type MerkleStep } from '../codec/merkle.ts'
import { decodeSignedTx, type SignedTx } from '../codec/tx.ts'
import { blockHashOf } from '../consensus/messages.ts'
import { isWellFormedSet, validatorsHashOf, verifyCertificate } from '../consensus/validators.ts'
import {
  CERTIFICATE_SCHEMA,
  HEADER_SCHEMA,
  VALIDATOR_SET_SCHEMA,
  type BlockHeader,
  type CommitCertificate,
  type Validator,
} from '../core/block.ts'
import { verifyDigest } from '../crypto/secp256k1.ts'
import { verifySignedTx } from '../crypto/tx-signature.ts'
import { equalBytes, fromHex, isHex, toHex } from '../util/bytes.ts'
import { ok, type Result } from '../util/result.ts'
import { RECEIPT_SCHEMA, type Receipt } from '../vm/types.ts'
import { clientErr, type ClientError } from './errors.ts'
import { verifyEncodedStateProof } from './state-proof.ts'

/** Largest encoded header accepted (a header is about 300 bytes). */
export const HEADER_BYTES_MAX = 1024
/** Largest encoded certificate accepted (100 seals of ~70 bytes). */
export const CERTIFICATE_BYTES_MAX = 16 * 1024
/** Largest encoded validator set accepted. */
export const VALIDATOR_SET_BYTES_MAX = 8 * 1024
/** Largest encoded receipt accepted. */
export const RECEIPT_BYTES_MAX = 64 * 1024
/** Most steps in a tx or receipt Merkle proof (a block holds at most 5000 txs: 13 levels). */
export const MERKLE_STEPS_MAX = 32

/** A header whose certificate was verified. */
export interface VerifiedHeader {
  readonly header: BlockHeader
  readonly blockHash: Uint8Array
  readonly certificate: CommitCertificate
}

/** Parses lowercase hex from node data; `what` names the field in the error. */
export function parseHex(text: unknown, what: string): Result<Uint8Array, ClientError> {
  if (typeof text !== 'string' || !isHex(text)) {
    return clientErr('CLIENT_MALFORMED', `${what} is not lowercase hex`)
  }
  return ok(fromHex(text))
}

function decodeHex<T>(
  schema: Parameters<typeof decodeCanonical<T>>[0],
  text: unknown,
  max: number,
  what: string,
): Result<T, ClientError> {
  const bytes = parseHex(text, what)
  if (!bytes.ok) return bytes
  const decoded = decodeCanonical(schema, bytes.value, max)
  if (!decoded.ok) {
    const message = `${what}: ${decoded.error.message}`
    return clientErr('CLIENT_MALFORMED', message, { cause: decoded.error.code })
  }
  return ok(decoded.value)
}

/** Decodes a header served as hex (canonical encoding of HEADER_SCHEMA). */
export function decodeHeaderHex(headerHex: unknown): Result<BlockHeader, ClientError> {
  return decodeHex(HEADER_SCHEMA, headerHex, HEADER_BYTES_MAX, 'headerHex')
}

/** Decodes a commit certificate served as hex (canonical encoding of CERTIFICATE_SCHEMA). */
export function decodeCertificateHex(
  certificateHex: unknown,
): Result<CommitCertificate, ClientError> {
  return decodeHex(CERTIFICATE_SCHEMA, certificateHex, CERTIFICATE_BYTES_MAX, 'certificateHex')
}

/**
 * Decodes a validator set served as hex and checks that it is well formed and hashes to
 * `expectedHash` (the header's validatorsHash or nextValidatorsHash that named it).
 */
export function verifyValidatorSet(
  validatorsHex: unknown,
  expectedHash: Uint8Array,
): Result<readonly Validator[], ClientError> {
  const set = decodeHex(
    VALIDATOR_SET_SCHEMA,
    validatorsHex,
    VALIDATOR_SET_BYTES_MAX,
    'validatorsHex',
  )
  if (!set.ok) return set
  if (!isWellFormedSet(set.value)) {
    return clientErr('CLIENT_MALFORMED', 'validator set is empty, unsorted or has duplicates')
  }
  if (!equalBytes(validatorsHashOf(set.value), expectedHash)) {
    return clientErr(
      'CLIENT_VALIDATORS_MISMATCH',
      `served validator set does not hash to ${toHex(expectedHash)}`,
    )
  }
  return ok(set.value)
}

/** What a header must be, besides certified by the trusted set. */
export interface HeaderExpectation {
  /** The chain the client follows. */
  readonly chainId?: string
  /** The height that was asked for. */
  readonly height?: number
}

function checkExpectation(
  header: BlockHeader,
  expect: HeaderExpectation,
): Result<true, ClientError> {
  if (expect.chainId !== undefined && header.chainId !== expect.chainId) {
    return clientErr('CLIENT_CHAIN_MISMATCH', `header of chain ${header.chainId}`)
  }
  if (expect.height !== undefined && header.height !== expect.height) {
    return clientErr(
      'CLIENT_WRONG_HEIGHT',
      `asked for height ${expect.height}, got a header of height ${header.height}`,
    )
  }
  return ok(true)
}

/**
 * Verifies a header by its commit certificate: both decode canonically; the header is for the
 * expected chain and height; `header.validatorsHash` is the hash of `trustedSet`; the certificate
 * is for this header's hash and height and holds valid seals of at least 2f+1 distinct validators
 * of `trustedSet`.
 */
export function verifyHeader(
  headerHex: unknown,
  certificateHex: unknown,
  trustedSet: readonly Validator[],
  expect: HeaderExpectation = {},
): Result<VerifiedHeader, ClientError> {
  const header = decodeHeaderHex(headerHex)
  if (!header.ok) return header
  const certificate = decodeCertificateHex(certificateHex)
  if (!certificate.ok) return certificate
  return verifyDecodedHeader(header.value, certificate.value, trustedSet, expect)
}

/** `verifyHeader` over decoded values. */
export function verifyDecodedHeader(
  header: BlockHeader,
  certificate: CommitCertificate,
  trustedSet: readonly Validator[],
  expect: HeaderExpectation = {},
): Result<VerifiedHeader, ClientError> {
  const expected = checkExpectation(header, expect)
  if (!expected.ok) return expected
  if (!isWellFormedSet(trustedSet)) {
    return clientErr('CLIENT_VALIDATORS_MISMATCH', 'the trusted validator set is not well formed')
  }
  if (!equalBytes(header.validatorsHash, validatorsHashOf(trustedSet))) {
    return clientErr(
      'CLIENT_VALIDATORS_MISMATCH',
      `header ${header.height} names validator set ${toHex(header.validatorsHash)}, not the trusted one`,
    )
  }
  const blockHash = blockHashOf(header)
  const claim = { chainId: header.chainId, height: header.height, blockHash }
  const checked = verifyCertificate(certificate, claim, trustedSet, verifyDigest)
  if (!checked.ok) {
    const { code, message } = checked.error
    return clientErr('CLIENT_BAD_CERTIFICATE', `header ${header.height}: ${message}`, {
      cause: code,
    })
  }
  return ok({ header, blockHash, certificate })
}

/** A Merkle step as the node serves it (JSON). */
export interface MerkleStepJson {
  readonly sibling: string
  readonly siblingOnLeft: boolean
}

/** Parses a served Merkle proof (`[{ sibling, siblingOnLeft }]`). */
export function parseMerkleProof(value: unknown, what: string): Result<MerkleStep[], ClientError> {
  if (!Array.isArray(value) || value.length > MERKLE_STEPS_MAX) {
    return clientErr(
      'CLIENT_MALFORMED',
      `${what} is not a list of at most ${MERKLE_STEPS_MAX} steps`,
    )
  }
  const steps: MerkleStep[] = []
  for (const [i, item] of (value as unknown[]).entries()) {
    const step = item as Partial<Record<keyof MerkleStepJson, unknown>> | null
    const sibling = parseHex(step?.sibling, `${what}[${i}].sibling`)
    if (!sibling.ok) return sibling
    if (sibling.value.length !== 32 || typeof step?.siblingOnLeft !== 'boolean') {
      return clientErr('CLIENT_MALFORMED', `${what}[${i}] is not a 32-byte sibling with a side`)
    }
    steps.push({ sibling: sibling.value, siblingOnLeft: step.siblingOnLeft })
  }
  return ok(steps)
}

/** The inclusion data the node serves for a tx (GET /v1/txs/:txId, minus the header). */
export interface TxInclusionJson {
  readonly index: unknown
  readonly signedTxHex: unknown
  readonly receiptHex: unknown
  readonly proof: unknown
  readonly receiptProof: unknown
}

/** A tx proven to be in a certified block, with its proven receipt. */
export interface VerifiedTx {
  readonly signedTx: SignedTx
  readonly receipt: Receipt
  readonly index: number
  readonly height: number
  readonly blockHash: Uint8Array
}

function decodeIncluded(
  txId: Uint8Array,
  served: TxInclusionJson,
): Result<{ signedTx: SignedTx; receipt: Receipt; receiptBytes: Uint8Array }, ClientError> {
  const signedBytes = parseHex(served.signedTxHex, 'signedTxHex')
  if (!signedBytes.ok) return signedBytes
  const signedTx = decodeSignedTx(signedBytes.value)
  if (!signedTx.ok) {
    const message = `signedTxHex: ${signedTx.error.message}`
    return clientErr('CLIENT_MALFORMED', message, { cause: signedTx.error.code })
  }
  if (!equalBytes(signedTx.value.txId, txId)) {
    return clientErr('CLIENT_TX_MISMATCH', `served tx hashes to ${toHex(signedTx.value.txId)}`)
  }
  if (!verifySignedTx(signedTx.value)) {
    return clientErr('CLIENT_TX_MISMATCH', 'the served tx signature does not verify')
  }
  const receiptBytes = parseHex(served.receiptHex, 'receiptHex')
  if (!receiptBytes.ok) return receiptBytes
  const receipt = decodeCanonical(RECEIPT_SCHEMA, receiptBytes.value, RECEIPT_BYTES_MAX)
  if (!receipt.ok) {
    const message = `receiptHex: ${receipt.error.message}`
    return clientErr('CLIENT_MALFORMED', message, { cause: receipt.error.code })
  }
  return ok({ signedTx: signedTx.value, receipt: receipt.value, receiptBytes: receiptBytes.value })
}

/**
 * Verifies that the tx `txId` is in the block of the certified `header` at `served.index`: the
 * signed tx hashes to `txId` and its signature verifies; `txId` is under `header.txRoot` by
 * `served.proof`; the receipt names `txId` and the index and is under `header.receiptsRoot` by
 * `served.receiptProof`.
 */
export function verifyTxInclusion(
  header: VerifiedHeader,
  txId: Uint8Array,
  served: TxInclusionJson,
): Result<VerifiedTx, ClientError> {
  const index = served.index
  if (typeof index !== 'number' || !Number.isInteger(index) || index < 0) {
    return clientErr('CLIENT_MALFORMED', 'index is not a non-negative integer')
  }
  const decoded = decodeIncluded(txId, served)
  if (!decoded.ok) return decoded
  const { signedTx, receipt, receiptBytes } = decoded.value
  if (!equalBytes(receipt.txId, txId) || receipt.index !== index) {
    return clientErr('CLIENT_TX_MISMATCH', `receipt is for tx ${receipt.index}, not ${index}`)
  }
  const proof = parseMerkleProof(served.proof, 'proof')
  if (!proof.ok) return proof
  if (!verifyMerkleProof(header.header.txRoot, txId, proof.value)) {
    return clientErr('CLIENT_PROOF_MISMATCH', 'tx proof does not reach the header txRoot')
  }
  const receiptProof = parseMerkleProof(served.receiptProof, 'receiptProof')
  if (!receiptProof.ok) return receiptProof
  if (!verifyMerkleProof(header.header.receiptsRoot, receiptBytes, receiptProof.value)) {
    return clientErr('CLIENT_PROOF_MISMATCH', 'receipt proof does not reach the receiptsRoot')
  }
  const { height } = header.header
  return ok({ signedTx, receipt, index, height, blockHash: header.blockHash })
}

/** A state value (or proven absence) under a certified header. */
export interface VerifiedStateValue {
  readonly key: Uint8Array
  /** null: the key is proven absent. */
  readonly value: Uint8Array | null
  readonly height: number
  /** The hash of the certified header the value is proven under. */
  readonly blockHash: Uint8Array
}

/**
 * Verifies one served state entry (`key`, `valueHex` or null for absence, `proofHex`) against the
 * certified header's stateRoot.
 */
export function verifyStateEntry(
  header: VerifiedHeader,
  keyHex: unknown,
  valueHex: unknown,
  proofHex: unknown,
): Result<VerifiedStateValue, ClientError> {
  const key = parseHex(keyHex, 'key')
  if (!key.ok) return key
  let value: Uint8Array | null = null
  if (valueHex !== null) {
    const parsed = parseHex(valueHex, 'valueHex')
    if (!parsed.ok) return parsed
    value = parsed.value
  }
  const proof = parseHex(proofHex, 'proofHex')
  if (!proof.ok) return proof
  const checked = verifyEncodedStateProof(header.header.stateRoot, key.value, value, proof.value)
  if (!checked.ok) {
    const { code, message } = checked.error
    const what = `state proof of ${toHex(key.value)} at height ${header.header.height}`
    return clientErr('CLIENT_PROOF_MISMATCH', `${what}: ${message}`, { cause: code })
  }
  return ok({ key: key.value, value, height: header.header.height, blockHash: header.blockHash })
}
