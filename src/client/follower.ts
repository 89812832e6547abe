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
 * get the old set's quorum to sign a forged header.
 *
 * Below the anchor the follower trusts hashes, not retired sets: it keeps the hashes of the headers
 * it certified at set changes (checkpoints) and of the latest walked heights. A header at or below
 * the anchor must have the hash the follower vouched for at its height; one it holds no hash for is
 * accepted on the certificate of the set in charge now when that set signed its height, and
 * otherwise only if the chain of `parentHash` links from it reaches a vouched header above it (so a
 * quorum of a retired set cannot certify a forged old header). A read of the head may not come from
 * below the height the client had verified when it asked. Browser-safe.
 */
import { blockHashOf } from '../consensus/messages.ts'
import { validatorsHashOf } from '../consensus/validators.ts'
import type { BlockHeader, Validator } from '../core/block.ts'
import { equalBytes, toHex } from '../util/bytes.ts'
import { assert } from '../util/assert.ts'
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

/** Hashes of the latest walked heights kept by default (32 bytes each). */
export const RECENT_HASHES = 1024

/** Options of a `HeaderFollower`. */
export interface FollowerOptions {
  /** How many of the latest walked heights' hashes to keep (`RECENT_HASHES` by default). */
  readonly recentHashes?: number
}

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

/** A header linked during a walk, with its hash. */
interface Linked {
  readonly header: BlockHeader
  readonly hash: Uint8Array
}

/** A walk's state: the last linked header, and those linked since the last certified one. */
interface WalkState {
  previous: Linked | undefined
  readonly pending: Linked[]
}

/** Follows the header chain of one chain from a trusted validator set. */
export class HeaderFollower {
  readonly #chainId: string
  readonly #source: HeaderSource
  readonly #epochs: Epoch[]
  readonly #recentMax: number
  /** Hashes of the headers certified at set changes, by height (one per epoch, all kept). */
  readonly #checkpoints = new Map<number, Uint8Array>()
  /** Hashes of the latest walked heights, ascending (at most `#recentMax`). */
  readonly #recent = new Map<number, Uint8Array>()
  #anchor: Anchor
  #queue: Promise<unknown> = Promise.resolve()

  /**
   * Trusts `genesisSet` as the set of heights 0 and 1 of `chainId`.
   * @throws {AssertionError} if `genesisSet` is not a well-formed set (check it with `isWellFormedSet`).
   */
  constructor(
    chainId: string,
    genesisSet: readonly Validator[],
    source: HeaderSource,
    options: FollowerOptions = {},
  ) {
    this.#chainId = chainId
    this.#source = source
    this.#recentMax = options.recentHashes ?? RECENT_HASHES
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

  /**
   * Verifies a served header and certificate of `height` (a read of that height: a block, a tx).
   * Without `height` it is a read of the head, checked as by `verifyHead` from the height verified
   * now.
   */
  async verify(
    headerHex: unknown,
    certificateHex: unknown,
    height?: number,
  ): Promise<Result<VerifiedHeader, ClientError>> {
    if (height === undefined) {
      return this.verifyHead(headerHex, certificateHex, this.#anchor.height)
    }
    const header = decodeHeaderHex(headerHex)
    if (!header.ok) return header
    return this.#verifyAt(header.value, certificateHex, height)
  }

  /**
   * Verifies the header a node served with a read of its head. `floor` is the height the client
   * had verified when it sent the request: a header below it is a rollback (`CLIENT_STALE`). A
   * header above the anchor is reached by walking, and must be the header the walk certified.
   */
  async verifyHead(
    headerHex: unknown,
    certificateHex: unknown,
    floor: number,
  ): Promise<Result<VerifiedHeader, ClientError>> {
    const header = decodeHeaderHex(headerHex)
    if (!header.ok) return header
    const height = header.value.height
    if (height < floor) {
      const message = `the node answered at height ${height}, below height ${floor} already verified`
      return clientErr('CLIENT_STALE', message)
    }
    if (height > this.#anchor.height) {
      const walked = await this.advanceTo(height)
      if (!walked.ok) return walked
      if (walked.value?.header.height === height) {
        if (equalBytes(walked.value.blockHash, blockHashOf(header.value))) return ok(walked.value)
        return notVouched(height)
      }
    }
    return this.#verifyAt(header.value, certificateHex, height)
  }

  /** Checks a header of `height` against its set, and below the anchor against vouched hashes. */
  async #verifyAt(
    header: BlockHeader,
    certificateHex: unknown,
    height: number,
  ): Promise<Result<VerifiedHeader, ClientError>> {
    const set = await this.setAt(height)
    if (!set.ok) return set
    const certificate = decodeCertificateHex(certificateHex)
    if (!certificate.ok) return certificate
    const verified = verifyDecodedHeader(header, certificate.value, set.value, {
      chainId: this.#chainId,
      height,
    })
    if (!verified.ok || height > this.#anchor.height) return verified
    const vouched = this.#vouchedAt(height)
    if (vouched !== undefined) {
      return equalBytes(vouched, verified.value.blockHash) ? verified : notVouched(height)
    }
    // The set in charge now signed this height: its certificate is enough.
    if (height >= this.#epochs[this.#epochs.length - 1]!.from) return verified
    // A retired set's certificate alone is not: the header must link up to a vouched one.
    const linked = await this.#linksUp(verified.value)
    return linked.ok ? verified : linked
  }

  /** The hash this follower vouches for at `height` (at or below the anchor), if it kept one. */
  #vouchedAt(height: number): Uint8Array | undefined {
    if (height === this.#anchor.height && this.#anchor.blockHash !== null) {
      return this.#anchor.blockHash
    }
    return this.#recent.get(height) ?? this.#checkpoints.get(height)
  }

  /** The lowest height above `height` whose hash this follower vouches for. */
  #vouchedAbove(height: number): number {
    let found = this.#anchor.height
    for (const h of this.#checkpoints.keys()) if (h > height && h < found) found = h
    for (const h of this.#recent.keys()) {
      if (h > height && h < found) found = h
      if (h > height) break // ascending
    }
    return found
  }

  /** Fetches the headers above `from` up to a vouched height and checks their `parentHash` links. */
  async #linksUp(from: VerifiedHeader): Promise<Result<true, ClientError>> {
    const target = this.#vouchedAbove(from.header.height)
    const targetHash = this.#vouchedAt(target)
    assert(targetHash !== undefined, 'a vouched height has a hash')
    let height = from.header.height
    let hash = from.blockHash
    while (height < target) {
      const limit = Math.min(FOLLOW_PAGE, target - height)
      const page = await this.#source.blocks(height + 1, limit)
      if (!page.ok) return page
      if (page.value.length === 0) {
        return clientErr('CLIENT_NOT_FOUND', `the node has no block ${height + 1}`)
      }
      for (const view of page.value.slice(0, limit)) {
        const header = decodeHeaderHex(view.headerHex)
        if (!header.ok) return header
        if (header.value.height !== height + 1) {
          const message = `asked for height ${height + 1}, got a header of height ${header.value.height}`
          return clientErr('CLIENT_WRONG_HEIGHT', message)
        }
        if (!equalBytes(header.value.parentHash, hash)) return notVouched(from.header.height)
        height += 1
        hash = blockHashOf(header.value)
      }
    }
    return equalBytes(hash, targetHash) ? ok(true) : notVouched(from.header.height)
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
    // The last linked header above the anchor (not yet certified), and the hashes linked since the
    // last certified header (at most the recent ones kept), so a long walk holds one header.
    const linked: WalkState = { previous: undefined, pending: [] }
    const next = (): number => (linked.previous?.header.height ?? this.#anchor.height) + 1
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
        linked.pending.length = 0
      }
    }
    return ok(last)
  }

  /** Links one header; certifies it (and moves the anchor) at set changes and at the target. */
  async #step(
    view: BlockViewJson,
    linked: WalkState,
    target: number,
  ): Promise<Result<VerifiedHeader | null, ClientError>> {
    const header = decodeHeaderHex(view.headerHex)
    if (!header.ok) return header
    const links = this.#link(header.value, linked.previous)
    if (!links.ok) return links
    const h = header.value
    linked.previous = { header: h, hash: blockHashOf(h) }
    const changes = !equalBytes(h.validatorsHash, h.nextValidatorsHash)
    if (!changes && h.height !== target) {
      linked.pending.push(linked.previous)
      if (linked.pending.length > this.#recentMax) linked.pending.shift()
      return ok(null)
    }
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
    // The certified header vouches for the linked ones below it.
    for (const p of linked.pending) this.#remember(p.header.height, p.hash)
    this.#remember(h.height, blockHash)
    if (changes) this.#checkpoints.set(h.height, blockHash)
    this.#anchor = { height: h.height, blockHash, nextValidatorsHash: h.nextValidatorsHash }
    return ok(verified.value)
  }

  /** Keeps the hash of a walked height, dropping the oldest beyond the bound. */
  #remember(height: number, hash: Uint8Array): void {
    this.#recent.set(height, hash)
    while (this.#recent.size > this.#recentMax) {
      this.#recent.delete(this.#recent.keys().next().value!)
    }
  }

  #link(header: BlockHeader, linked: Linked | undefined): Result<true, ClientError> {
    const previous = linked?.header
    const expectedHeight = previous ? previous.height + 1 : this.#anchor.height + 1
    if (header.height !== expectedHeight) {
      const message = `asked for height ${expectedHeight}, got a header of height ${header.height}`
      return clientErr('CLIENT_WRONG_HEIGHT', message)
    }
    if (header.chainId !== this.#chainId) {
      return clientErr('CLIENT_CHAIN_MISMATCH', `header of chain ${header.chainId}`)
    }
    const parent = linked ? linked.hash : this.#anchor.blockHash
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

function notVouched(height: number): Result<never, ClientError> {
  const message = `header ${height} is not the one on the chain this client verified`
  return clientErr('CLIENT_CHAIN_MISMATCH', message)
}
