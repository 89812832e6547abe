/**
 * The header chain follower (SPEC §10): starts from a trusted validator set (the genesis set) and
 * follows validator set changes through `nextValidatorsHash`, so that a header of any height can be
 * checked against the set that was really in charge at that height.
 *
 * Walking forward from the last certified header (the anchor) to a target height, every header must
 * link to the one before (height + 1, same chain, `parentHash` = hash of the previous header) and
 * name the set the previous header announced (`validatorsHash` = previous `nextValidatorsHash`).
 * Certificates are checked at every header that announces a set change and at the target: a quorum
 * of the current set certifying a header vouches for the whole linked chain below it, so the next set
 * (fetched by hash, and checked against that hash) is trusted. A node that hides a set change must
 * get the old set's quorum to sign a forged header. Browser-safe.
 */
import { blockHashOf } from '../consensus/messages.ts'
import { validatorsHashOf } from '../consensus/validators.ts'
import type { BlockHeader, Validator } from '../core/block.ts'
import { equalBytes, toHex } from '../util/bytes.ts'
import { ok, type Result } from '../util/result.ts'
import { clientErr, type ClientError } from './errors.ts'
import {
  decodeCertificateHex,
  decodeHeaderHex,
  verifyDecodedHeader,
  verifyValidatorSet,
  type VerifiedHeader,
} from './verify.ts'

/** A block as the node serves it (the fields the follower reads). */
export interface BlockViewJson {
  readonly height?: unknown
  readonly headerHex?: unknown
  readonly certificateHex?: unknown
}

/** Where the follower reads headers and validator sets (the node's API, or a test double). */
export interface HeaderSource {
  /** Blocks from `from` ascending (at most `limit`); fewer when the chain is shorter. */
  blocks(from: number, limit: number): Promise<Result<readonly BlockViewJson[], ClientError>>
  /** The `validatorsHex` of the set whose hash is `hash`. */
  validatorSet(hash: Uint8Array): Promise<Result<unknown, ClientError>>
}

/** Blocks fetched per page while walking. */
export const FOLLOW_PAGE = 100

/** A validator set and the first height it signs. */
interface Epoch {
  readonly from: number
  readonly hash: Uint8Array
  readonly set: readonly Validator[]
}

/** The last header whose certificate was checked (or the genesis position). */
interface Anchor {
  readonly height: number
  /** null at genesis: the genesis header is not certified. */
  readonly blockHash: Uint8Array | null
  readonly nextValidatorsHash: Uint8Array
}

/** Follows the header chain of one chain from a trusted validator set. */
export class HeaderFollower {
  readonly #chainId: string
  readonly #source: HeaderSource
  readonly #epochs: Epoch[]
  #anchor: Anchor
  #queue: Promise<unknown> = Promise.resolve()

  /**
   * Trusts `genesisSet` as the set of heights 0 and 1 of `chainId`.
   * @throws {AssertionError} if `genesisSet` is not a well-formed set (check it with `isWellFormedSet`).
   */
  constructor(chainId: string, genesisSet: readonly Validator[], source: HeaderSource) {
    this.#chainId = chainId
    this.#source = source
    // validatorsHashOf asserts the set is well formed: a malformed trusted set is a caller bug.
    const hash = validatorsHashOf(genesisSet)
    this.#epochs = [{ from: 0, hash, set: genesisSet }]
    this.#anchor = { height: 0, blockHash: null, nextValidatorsHash: hash }
  }

  /** The highest height whose header certificate was checked (0 before any). */
  get verifiedHeight(): number {
    return this.#anchor.height
  }

  /** The validator sets learnt so far: `[firstHeight, set hash hex]`, ascending. */
  get epochs(): readonly (readonly [number, string])[] {
    return this.#epochs.map((e) => [e.from, toHex(e.hash)] as const)
  }

  /**
   * The trusted set for `height`, walking forward first when `height` is beyond the anchor's next
   * height. Walks are serialised.
   */
  async setAt(height: number): Promise<Result<readonly Validator[], ClientError>> {
    if (height > this.#anchor.height + 1) {
      const walked = await this.advanceTo(height - 1)
      if (!walked.ok) return walked
    }
    return ok(this.#epochAt(height).set)
  }

  /** Verifies a served header and certificate against the trusted set of its height. */
  async verify(
    headerHex: unknown,
    certificateHex: unknown,
    height?: number,
  ): Promise<Result<VerifiedHeader, ClientError>> {
    const header = decodeHeaderHex(headerHex)
    if (!header.ok) return header
    const at = height ?? header.value.height
    const set = await this.setAt(at)
    if (!set.ok) return set
    const certificate = decodeCertificateHex(certificateHex)
    if (!certificate.ok) return certificate
    return verifyDecodedHeader(header.value, certificate.value, set.value, {
      chainId: this.#chainId,
      height: at,
    })
  }

  /** Walks and certifies the chain up to `target`; returns the certified header of `target`. */
  advanceTo(target: number): Promise<Result<VerifiedHeader | null, ClientError>> {
    const run = this.#queue.then(() => this.#walk(target))
    this.#queue = run.catch(() => undefined)
    return run
  }

  #epochAt(height: number): Epoch {
    let found = this.#epochs[0]!
    for (const e of this.#epochs) if (e.from <= height) found = e
    return found
  }

  async #walk(target: number): Promise<Result<VerifiedHeader | null, ClientError>> {
    let last: VerifiedHeader | null = null
    // The last linked header above the anchor (not yet certified); only it is kept, so a long walk
    // holds one header, not the whole chain.
    const linked: { previous: BlockHeader | undefined } = { previous: undefined }
    const next = (): number => (linked.previous?.height ?? this.#anchor.height) + 1
    while (next() <= target) {
      const from = next()
      const limit = Math.min(FOLLOW_PAGE, target - from + 1)
      const page = await this.#source.blocks(from, limit)
      if (!page.ok) return page
      if (page.value.length === 0) {
        return clientErr('CLIENT_NOT_FOUND', `the node has no block ${from} (walking to ${target})`)
      }
      for (const view of page.value.slice(0, limit)) {
        const step = await this.#step(view, linked, target)
        if (!step.ok) return step
        if (step.value === null) continue
        last = step.value
        linked.previous = undefined
      }
    }
    return ok(last)
  }

  /** Links one header; certifies it (and moves the anchor) at set changes and at the target. */
  async #step(
    view: BlockViewJson,
    linked: { previous: BlockHeader | undefined },
    target: number,
  ): Promise<Result<VerifiedHeader | null, ClientError>> {
    const header = decodeHeaderHex(view.headerHex)
    if (!header.ok) return header
    const links = this.#link(header.value, linked.previous)
    if (!links.ok) return links
    linked.previous = header.value
    const h = header.value
    const changes = !equalBytes(h.validatorsHash, h.nextValidatorsHash)
    if (!changes && h.height !== target) return ok(null)
    const certificate = decodeCertificateHex(view.certificateHex)
    if (!certificate.ok) return certificate
    const set = this.#epochAt(h.height).set
    const verified = verifyDecodedHeader(h, certificate.value, set, { chainId: this.#chainId })
    if (!verified.ok) return verified
    if (changes) {
      const next = await this.#source.validatorSet(h.nextValidatorsHash)
      if (!next.ok) return next
      const nextSet = verifyValidatorSet(next.value, h.nextValidatorsHash)
      if (!nextSet.ok) return nextSet
      this.#epochs.push({ from: h.height + 1, hash: h.nextValidatorsHash, set: nextSet.value })
    }
    const blockHash = verified.value.blockHash
    this.#anchor = { height: h.height, blockHash, nextValidatorsHash: h.nextValidatorsHash }
    return ok(verified.value)
  }

  #link(header: BlockHeader, previous: BlockHeader | undefined): Result<true, ClientError> {
    const expectedHeight = previous ? previous.height + 1 : this.#anchor.height + 1
    if (header.height !== expectedHeight) {
      const message = `asked for height ${expectedHeight}, got a header of height ${header.height}`
      return clientErr('CLIENT_WRONG_HEIGHT', message)
    }
    if (header.chainId !== this.#chainId) {
      return clientErr('CLIENT_CHAIN_MISMATCH', `header of chain ${header.chainId}`)
    }
    const parent = previous ? blockHashOf(previous) : this.#anchor.blockHash
    if (parent !== null && !equalBytes(parent, header.parentHash)) {
      const message = `header ${header.height} does not link to the verified header below it`
      return clientErr('CLIENT_CHAIN_MISMATCH', message)
    }
    const announced = previous ? previous.nextValidatorsHash : this.#anchor.nextValidatorsHash
    if (!equalBytes(announced, header.validatorsHash)) {
      const message = `header ${header.height} names a validator set its parent did not announce`
      return clientErr('CLIENT_VALIDATORS_MISMATCH', message)
    }
    return ok(true)
  }
}
