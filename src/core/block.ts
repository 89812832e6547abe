/**
 * Blocks, headers and commit certificates. Spec: SPEC.md section 5; docs/protocol/encoding.md#blocks.
 *
 * `blockHash = sha256("pointsnode/header#" ‖ encode(header))`. A block carries its txs as signed-tx
 * bytes (`[txBytes, signature]`, canonical). `stateRoot` is the root after executing this block.
 */
import { bigint, bytes, list, str, struct, tuple, u32, type Infer } from '../codec/schema.ts'
import { CHAIN_ID_PATTERN, HEIGHT_MAX, SIGNED_TX_BYTES_MAX, TIME_MS_MAX } from './limits.ts'

/** Most txs in one block. */
export const BLOCK_TX_COUNT_MAX = 5000
/** Largest encoded block, in bytes. */
export const BLOCK_BYTES_MAX = 4 * 1024 * 1024
/** Most validators in a set. */
export const VALIDATOR_COUNT_MAX = 100
/** The header version this code produces and accepts. */
export const HEADER_VERSION = 1

const hash32 = bytes(32)

/** Wire schema of a block header (field order is wire order). */
export const HEADER_SCHEMA = struct('header', {
  version: u32(HEADER_VERSION, HEADER_VERSION),
  chainId: str(32, CHAIN_ID_PATTERN),
  height: u32(0, HEIGHT_MAX),
  round: u32(),
  /** Proposer's clock, UNIX milliseconds; strictly greater than the parent's. */
  time: bigint(0n, TIME_MS_MAX),
  /** Compressed public key of the proposing validator. */
  proposer: bytes(33),
  parentHash: hash32,
  txRoot: hash32,
  stateRoot: hash32,
  receiptsRoot: hash32,
  validatorsHash: hash32,
  nextValidatorsHash: hash32,
})

/** A block header. */
export type BlockHeader = Infer<typeof HEADER_SCHEMA>

/** Wire schema of a block: header and signed-tx bytes. */
export const BLOCK_SCHEMA = struct('block', {
  header: HEADER_SCHEMA,
  txs: list(bytes(1, SIGNED_TX_BYTES_MAX), BLOCK_TX_COUNT_MAX),
})

/** A block. */
export type Block = Infer<typeof BLOCK_SCHEMA>

/** One validator's signature in a certificate, by its index in the validator set. */
export const CERTIFICATE_SIGNATURE_SCHEMA = tuple(u32(0, VALIDATOR_COUNT_MAX - 1), bytes(64))

/**
 * A commit certificate: ≥ 2f+1 validator signatures over `(chainId, height, round, blockHash)`,
 * sorted by validator index, no index twice.
 */
export const CERTIFICATE_SCHEMA = struct('certificate', {
  height: u32(0, HEIGHT_MAX),
  round: u32(),
  blockHash: hash32,
  signatures: list(CERTIFICATE_SIGNATURE_SCHEMA, VALIDATOR_COUNT_MAX),
})

/** A commit certificate. */
export type CommitCertificate = Infer<typeof CERTIFICATE_SCHEMA>

/** One validator: its compressed public key and voting power (equal power: 1). */
export const VALIDATOR_SCHEMA = struct('validator', {
  publicKey: bytes(33),
  power: u32(1, 1),
})

/** A validator. */
export type Validator = Infer<typeof VALIDATOR_SCHEMA>

/** Wire schema of a validator set (ordered by public key bytes). */
export const VALIDATOR_SET_SCHEMA = list(VALIDATOR_SCHEMA, VALIDATOR_COUNT_MAX)
