/**
 * Consensus messages: their canonical schemas, signing digests and wire envelope.
 * Spec: SPEC.md section 5; docs/protocol/consensus.md#messages.
 *
 * Every signed payload starts with a `type` literal, so a signature over one kind of payload can
 * never be replayed as another. A validator signs `hashTagged('vote', encode(payload))`. The commit
 * payload `('commit', chainId, height, round, blockHash)` is also the commit seal that commit
 * certificates carry.
 */
import { decodeCanonical, encodeCanonical, type CodecError } from '../codec/canonical.ts'
import { hashTagged } from '../codec/hash.ts'
import {
  bytes,
  list,
  literal,
  nullable,
  str,
  struct,
  u32,
  type Infer,
  type Schema,
} from '../codec/schema.ts'
import {
  BLOCK_BYTES_MAX,
  BLOCK_SCHEMA,
  CERTIFICATE_SCHEMA,
  HEADER_SCHEMA,
  VALIDATOR_COUNT_MAX,
  type Block,
  type BlockHeader,
  type CommitCertificate,
} from '../core/block.ts'
import { CHAIN_ID_PATTERN, HEIGHT_MAX } from '../core/limits.ts'
import { assert } from '../util/assert.ts'
import type { Result } from '../util/result.ts'

/** Highest round number a message may carry (timeouts are capped long before this). */
export const ROUND_MAX = 1_000_000
/** Largest encoded consensus message: a block plus two justifications. */
export const CONSENSUS_MESSAGE_BYTES_MAX = BLOCK_BYTES_MAX + 64 * 1024

const hash32 = bytes(32)
const chainId = str(32, CHAIN_ID_PATTERN)
const height = u32(0, HEIGHT_MAX)
const round = u32(0, ROUND_MAX)
const publicKey = bytes(33)
const signature = bytes(64)

/** Signed payload of a PRE-PREPARE (proposal). */
export const PROPOSAL_PAYLOAD_SCHEMA = struct('proposalPayload', {
  type: literal('proposal'),
  chainId,
  height,
  round,
  blockHash: hash32,
})
/** Signed payload of a PREPARE or COMMIT vote; the commit payload is the commit seal. */
export const VOTE_PAYLOAD_SCHEMA = struct('votePayload', {
  type: literal('prepare', 'commit'),
  chainId,
  height,
  round,
  blockHash: hash32,
})
/** Signed payload of a ROUND-CHANGE to `round`, with the sender's highest prepared round/block. */
export const ROUND_CHANGE_PAYLOAD_SCHEMA = struct('roundChangePayload', {
  type: literal('roundChange'),
  chainId,
  height,
  round,
  preparedRound: nullable(round),
  preparedBlockHash: nullable(hash32),
})

/** A signed PREPARE or COMMIT. */
export const SIGNED_VOTE_SCHEMA = struct('signedVote', {
  payload: VOTE_PAYLOAD_SCHEMA,
  signer: publicKey,
  signature,
})
/** A signed ROUND-CHANGE payload (as carried inside a proposal's justification). */
export const SIGNED_ROUND_CHANGE_SCHEMA = struct('signedRoundChange', {
  payload: ROUND_CHANGE_PAYLOAD_SCHEMA,
  signer: publicKey,
  signature,
})
/** A ROUND-CHANGE message: the signed payload, the prepared block and its prepared certificate. */
export const ROUND_CHANGE_MESSAGE_SCHEMA = struct('roundChangeMessage', {
  roundChange: SIGNED_ROUND_CHANGE_SCHEMA,
  preparedBlock: nullable(BLOCK_SCHEMA),
  preparedCertificate: list(SIGNED_VOTE_SCHEMA, VALIDATOR_COUNT_MAX),
})
/**
 * A PRE-PREPARE: signed payload, the block, and for round > 0 its justification: a quorum of
 * ROUND-CHANGEs for this round and, when one of them reports a prepared block, the prepared
 * certificate of the highest one.
 */
export const PROPOSAL_MESSAGE_SCHEMA = struct('proposalMessage', {
  payload: PROPOSAL_PAYLOAD_SCHEMA,
  signer: publicKey,
  signature,
  block: BLOCK_SCHEMA,
  roundChanges: list(SIGNED_ROUND_CHANGE_SCHEMA, VALIDATOR_COUNT_MAX),
  preparedCertificate: list(SIGNED_VOTE_SCHEMA, VALIDATOR_COUNT_MAX),
})
/** A committed block with its commit certificate, sent to a peer that is behind. */
export const CERTIFIED_BLOCK_SCHEMA = struct('certifiedBlock', {
  block: BLOCK_SCHEMA,
  certificate: CERTIFICATE_SCHEMA,
})

/** Payload types. */
export type ProposalPayload = Infer<typeof PROPOSAL_PAYLOAD_SCHEMA>
export type VotePayload = Infer<typeof VOTE_PAYLOAD_SCHEMA>
export type RoundChangePayload = Infer<typeof ROUND_CHANGE_PAYLOAD_SCHEMA>
/** Message types. */
export type SignedVote = Infer<typeof SIGNED_VOTE_SCHEMA>
export type SignedRoundChange = Infer<typeof SIGNED_ROUND_CHANGE_SCHEMA>
export type RoundChangeMessage = Infer<typeof ROUND_CHANGE_MESSAGE_SCHEMA>
export type ProposalMessage = Infer<typeof PROPOSAL_MESSAGE_SCHEMA>

// Digests are memoised per (immutable) payload object: one message passes through several checks,
// and in the simulator one object reaches every node. A WeakMap holds no iteration order and lets
// the objects be collected, so this stays deterministic and bounded.
const digestCache = new WeakMap<object, Uint8Array>()

function memo(key: object, compute: () => Uint8Array): Uint8Array {
  let digest = digestCache.get(key)
  if (!digest) {
    digest = compute()
    assert(digest.length === 32, 'a digest is 32 bytes')
    digestCache.set(key, digest)
  }
  return digest
}

function signedDigest(encoding: Uint8Array): Uint8Array {
  return hashTagged('vote', encoding)
}

/** The digest a validator signs for a payload: `sha256("pointsnode/vote#" ‖ encode(payload))`. */
export function proposalDigest(payload: ProposalPayload): Uint8Array {
  return memo(payload, () => signedDigest(encodeCanonical(PROPOSAL_PAYLOAD_SCHEMA, payload)))
}

/** The digest of a PREPARE/COMMIT payload (for COMMIT: the commit seal digest). */
export function voteDigest(payload: VotePayload): Uint8Array {
  return memo(payload, () => signedDigest(encodeCanonical(VOTE_PAYLOAD_SCHEMA, payload)))
}

/** The digest of a ROUND-CHANGE payload. */
export function roundChangeDigest(payload: RoundChangePayload): Uint8Array {
  return memo(payload, () => signedDigest(encodeCanonical(ROUND_CHANGE_PAYLOAD_SCHEMA, payload)))
}

/** `blockHash = sha256("pointsnode/header#" ‖ encode(header))`. */
export function blockHashOf(header: BlockHeader): Uint8Array {
  return memo(header, () => hashTagged('header', encodeCanonical(HEADER_SCHEMA, header)))
}

/** Signs digests with the validator's key. Production: the node key; simulation: a fast fake. */
export interface Signer {
  /** The compressed public key the signatures verify under. */
  readonly publicKey: Uint8Array
  /** A 64-byte signature over a 32-byte digest. */
  signDigest(digest: Uint8Array): Uint8Array
}

/** Synchronous signature check; `verifyDigest` from `crypto/secp256k1.ts` fits. */
export type VerifyDigest = (
  signature: Uint8Array,
  digest: Uint8Array,
  publicKey: Uint8Array,
) => boolean

/** Builds a signed PREPARE or COMMIT. */
export function signVote(signer: Signer, payload: VotePayload): SignedVote {
  return { payload, signer: signer.publicKey, signature: signer.signDigest(voteDigest(payload)) }
}

/** Builds a signed ROUND-CHANGE payload. */
export function signRoundChange(signer: Signer, payload: RoundChangePayload): SignedRoundChange {
  const sig = signer.signDigest(roundChangeDigest(payload))
  return { payload, signer: signer.publicKey, signature: sig }
}

/** Builds a signed proposal for `block` with its justification. */
export function signProposal(
  signer: Signer,
  payload: ProposalPayload,
  block: Block,
  roundChanges: SignedRoundChange[],
  preparedCertificate: SignedVote[],
): ProposalMessage {
  const sig = signer.signDigest(proposalDigest(payload))
  return {
    payload,
    signer: signer.publicKey,
    signature: sig,
    block,
    roundChanges,
    preparedCertificate,
  }
}

/** A consensus message on the wire (the `message` of broadcast/send effects). */
export type ConsensusMessage =
  | { readonly kind: 'proposal'; readonly proposal: ProposalMessage }
  | { readonly kind: 'vote'; readonly vote: SignedVote }
  | { readonly kind: 'roundChange'; readonly roundChange: RoundChangeMessage }
  | {
      readonly kind: 'certifiedBlock'
      readonly block: Block
      readonly certificate: CommitCertificate
    }

const ENVELOPE_SCHEMA = struct('consensusEnvelope', {
  kind: literal('proposal', 'vote', 'roundChange', 'certifiedBlock'),
  body: bytes(1, CONSENSUS_MESSAGE_BYTES_MAX),
})

function bodyOf(message: ConsensusMessage): Uint8Array {
  switch (message.kind) {
    case 'proposal':
      return encodeCanonical(PROPOSAL_MESSAGE_SCHEMA, message.proposal)
    case 'vote':
      return encodeCanonical(SIGNED_VOTE_SCHEMA, message.vote)
    case 'roundChange':
      return encodeCanonical(ROUND_CHANGE_MESSAGE_SCHEMA, message.roundChange)
    case 'certifiedBlock':
      return encodeCanonical(CERTIFIED_BLOCK_SCHEMA, message)
  }
}

/** Canonical wire bytes of a consensus message: `[kind, encode(body)]`. */
export function encodeConsensusMessage(message: ConsensusMessage): Uint8Array {
  const out = encodeCanonical(ENVELOPE_SCHEMA, { kind: message.kind, body: bodyOf(message) })
  assert(out.length <= CONSENSUS_MESSAGE_BYTES_MAX + 16, 'message within its size limit')
  return out
}

function decodeBody<T>(schema: Schema<T>, body: Uint8Array): Result<T, CodecError> {
  return decodeCanonical(schema, body, CONSENSUS_MESSAGE_BYTES_MAX)
}

/** Decodes wire bytes into a consensus message; every malformed input gives a coded error. */
export function decodeConsensusMessage(bytes: Uint8Array): Result<ConsensusMessage, CodecError> {
  const envelope = decodeCanonical(ENVELOPE_SCHEMA, bytes, CONSENSUS_MESSAGE_BYTES_MAX + 16)
  if (!envelope.ok) return envelope
  const { kind, body } = envelope.value
  switch (kind) {
    case 'proposal': {
      const r = decodeBody(PROPOSAL_MESSAGE_SCHEMA, body)
      return r.ok ? { ok: true, value: { kind, proposal: r.value } } : r
    }
    case 'vote': {
      const r = decodeBody(SIGNED_VOTE_SCHEMA, body)
      return r.ok ? { ok: true, value: { kind, vote: r.value } } : r
    }
    case 'roundChange': {
      const r = decodeBody(ROUND_CHANGE_MESSAGE_SCHEMA, body)
      return r.ok ? { ok: true, value: { kind, roundChange: r.value } } : r
    }
    case 'certifiedBlock': {
      const r = decodeBody(CERTIFIED_BLOCK_SCHEMA, body)
      return r.ok ? { ok: true, value: { kind, ...r.value } } : r
    }
  }
}
