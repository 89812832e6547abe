/**
 * `LightClient`: the verifying client of one node's HTTP API (SPEC §10; the read contract in
 * docs/api.md#light-client). It trusts nothing the node says: headers are checked by commit certificate
 * against the validator set followed from the trusted genesis set, and every value by a Merkle or
 * state proof under a certified header. Every failure is a coded `ClientError` in a `Result`.
 * Browser-safe: `fetch`, no node:* imports.
 */
import { encodeCanonical } from '../codec/canonical.ts'
import { API_TX_BATCH_MAX, API_TX_BATCH_SCHEMA } from '../codec/tx-batch.ts'
import type { SignedTx } from '../codec/tx.ts'
import { isWellFormedSet, validatorsHashOf } from '../consensus/validators.ts'
import type { Validator } from '../core/block.ts'
import { SIGNED_TX_BYTES_MAX, SYMBOL_PATTERN } from '../core/limits.ts'
import { equalBytes, fromHex, isHex, toHex } from '../util/bytes.ts'
import { err, ok, type Result } from '../util/result.ts'
import { keys as stateKeys } from '../vm/keys.ts'
import { checkServedBalances, verifyBalanceEntries, type VerifiedBalances } from './balances.ts'
import { clientErr, LightClientError, type ClientError } from './errors.ts'
import { HeaderFollower, type BlockViewJson, type HeaderSource } from './follower.ts'
import { HttpTransport, type FetchLike } from './http.ts'
import {
  verifyStateEntry,
  verifyTxInclusion,
  verifyValidatorSet,
  type TxInclusionJson,
  type VerifiedHeader,
  type VerifiedStateValue,
  type VerifiedTx,
} from './verify.ts'

/** How to reach and trust a chain. Give the trusted set itself, or its hash (then it is fetched). */
export interface LightClientOptions {
  /** The node's API, e.g. `http://127.0.0.1:8545`. */
  readonly baseUrl: string
  readonly chainId: string
  /** The genesis validator set (sorted by public key). */
  readonly trustedValidators?: readonly Validator[]
  /** The genesis validator set's hash (32 bytes or hex): the set is fetched and checked. */
  readonly trustedValidatorsHash?: Uint8Array | string
  /** `fetch` to use; the global one by default. */
  readonly fetch?: FetchLike
  /** Time allowed for one request; 30 s by default. */
  readonly timeoutMs?: number
}

/** Options of `submit`. */
export interface SubmitOptions {
  /** Wait until the tx is committed (`?wait=commit`) and then verify its inclusion. */
  readonly wait?: boolean
  /** Time allowed for the submit request (with `wait`, the node bounds its own wait too). */
  readonly timeoutMs?: number
}

/** What `submit` returns: the tx id, and with `wait` the verified inclusion. */
export interface Submitted {
  readonly txId: Uint8Array
  readonly verified?: VerifiedTx
}

/**
 * One tx's outcome in `submitBatch`: its id once the node admitted it to the mempool, or the node's
 * coded refusal of this tx alone (`TX_DUPLICATE`, `TX_BAD_SIGNATURE`, `CODEC_MALFORMED`, ...).
 */
export type BatchItemResult = Result<
  { readonly txId: Uint8Array },
  { readonly code: string; readonly message: string }
>

/** Reads of balances tried when the head moves between the balances and an absence proof. */
export const BALANCE_READ_ATTEMPTS = 3

/** Throws the coded error of a failed Result (for code that prefers exceptions). */
export function orThrow<T>(result: Result<T, ClientError>): T {
  if (!result.ok) throw new LightClientError(result.error)
  return result.value
}

/** The fields of the contract's answers that the client reads. */
type AnswerField =
  | 'blocks'
  | 'validatorsHex'
  | 'headerHex'
  | 'certificateHex'
  | 'height'
  | 'valueHex'
  | 'proofHex'
  | 'entries'
  | 'balances'
  | 'txId'
  | 'results'
type Answer = Partial<Record<AnswerField, unknown>>

function asObject(value: unknown): Answer {
  return typeof value === 'object' && value !== null ? value : {}
}

function bytesArg(value: Uint8Array | string, what: string): Result<Uint8Array, ClientError> {
  if (typeof value !== 'string') return ok(value)
  if (!isHex(value)) return clientErr('CLIENT_BAD_ARGUMENT', `${what} is not lowercase hex`)
  return ok(fromHex(value))
}

/** Checks one item of a batch answer against the tx it answers (when its id is known). */
function batchItemOf(
  item: unknown,
  sent: SignedTx | Uint8Array,
): Result<BatchItemResult, ClientError> {
  const { txId, error } = item as { txId?: unknown; error?: { code?: unknown; message?: unknown } }
  if (typeof txId === 'string' && isHex(txId) && txId.length === 64) {
    const id = fromHex(txId)
    if (!(sent instanceof Uint8Array) && !equalBytes(id, sent.txId)) {
      return clientErr('CLIENT_TX_MISMATCH', 'the node acknowledged another tx id in a batch')
    }
    return ok(ok({ txId: id }))
  }
  if (typeof error?.code === 'string' && typeof error.message === 'string') {
    return ok(err({ code: error.code, message: error.message }))
  }
  return clientErr('CLIENT_MALFORMED', 'a batch result is neither { txId } nor { error }')
}

/** The verifying light client of one node. */
export class LightClient {
  readonly chainId: string
  readonly #http: HttpTransport
  readonly #trusted: LightClientOptions
  #follower: HeaderFollower | null = null

  /** Creates the client; nothing is fetched until the first call. */
  constructor(options: LightClientOptions) {
    this.chainId = options.chainId
    this.#http = new HttpTransport(options.baseUrl, options.fetch, options.timeoutMs)
    this.#trusted = options
  }

  /** The validator sets followed so far: `[first height, set hash hex]`, ascending. */
  followedSets(): readonly (readonly [number, string])[] {
    return this.#follower?.epochs ?? []
  }

  /** The highest height whose certificate the client has checked while following the chain. */
  get verifiedHeight(): number {
    return this.#follower?.verifiedHeight ?? 0
  }

  /** The header source over the node's API (`/v1/blocks`, `/v1/validator-sets/:hash`). */
  #source(): HeaderSource {
    return {
      blocks: async (from, limit) => {
        const page = await this.#http.get(`/v1/blocks?from=${from}&limit=${limit}`)
        if (!page.ok) return page
        const blocks = asObject(page.value).blocks
        if (!Array.isArray(blocks)) return clientErr('CLIENT_MALFORMED', 'blocks is not a list')
        return ok(blocks as BlockViewJson[])
      },
      validatorSet: async (hash) => {
        const answer = await this.#http.get(`/v1/validator-sets/${toHex(hash)}`)
        if (!answer.ok) return answer
        return ok(asObject(answer.value).validatorsHex)
      },
    }
  }

  /** The follower, created on first use (fetching the trusted set when only its hash was given). */
  async #getFollower(): Promise<Result<HeaderFollower, ClientError>> {
    if (this.#follower) return ok(this.#follower)
    const { trustedValidators, trustedValidatorsHash } = this.#trusted
    let set: readonly Validator[]
    if (trustedValidators) {
      if (!isWellFormedSet(trustedValidators)) {
        return clientErr('CLIENT_BAD_ARGUMENT', 'trustedValidators is not a sorted unique set')
      }
      set = trustedValidators
      if (trustedValidatorsHash !== undefined) {
        const hash = bytesArg(trustedValidatorsHash, 'trustedValidatorsHash')
        if (!hash.ok) return hash
        if (!equalBytes(hash.value, validatorsHashOf(set))) {
          return clientErr('CLIENT_BAD_ARGUMENT', 'trustedValidators do not match their hash')
        }
      }
    } else {
      if (trustedValidatorsHash === undefined) {
        return clientErr('CLIENT_BAD_ARGUMENT', 'give trustedValidators or trustedValidatorsHash')
      }
      const hash = bytesArg(trustedValidatorsHash, 'trustedValidatorsHash')
      if (!hash.ok) return hash
      const served = await this.#source().validatorSet(hash.value)
      if (!served.ok) return served
      const checked = verifyValidatorSet(served.value, hash.value)
      if (!checked.ok) return checked
      set = checked.value
    }
    this.#follower ??= new HeaderFollower(this.chainId, set, this.#source())
    return ok(this.#follower)
  }

  /** Verifies a served header and certificate of `height` (when given) against the followed set. */
  async #verifyServed(
    served: Answer,
    height?: number,
  ): Promise<Result<VerifiedHeader, ClientError>> {
    const follower = await this.#getFollower()
    if (!follower.ok) return follower
    return follower.value.verify(served.headerHex, served.certificateHex, height)
  }

  /** The header of `height` (≥ 1), verified by its commit certificate. */
  async getVerifiedHeader(height: number): Promise<Result<VerifiedHeader, ClientError>> {
    if (!Number.isInteger(height) || height < 1) {
      return clientErr('CLIENT_BAD_ARGUMENT', `height ${height}: the genesis has no certificate`)
    }
    const follower = await this.#getFollower()
    if (!follower.ok) return follower
    if (height > follower.value.verifiedHeight) {
      const walked = await follower.value.advanceTo(height)
      if (!walked.ok) return walked
      if (walked.value) return ok(walked.value)
    }
    const block = await this.#http.get(`/v1/blocks/${height}`)
    if (!block.ok) return block
    return this.#verifyServed(asObject(block.value), height)
  }

  /** The latest header, verified (follows the chain up to it). */
  async getVerifiedHead(): Promise<Result<VerifiedHeader, ClientError>> {
    const latest = await this.#http.get('/v1/blocks/latest')
    if (!latest.ok) return latest
    const height = asObject(latest.value).height
    if (typeof height !== 'number' || !Number.isInteger(height) || height < 1) {
      return clientErr('CLIENT_MALFORMED', 'latest block has no height ≥ 1')
    }
    return this.getVerifiedHeader(height)
  }

  /** A committed tx with its receipt, proven to be in a certified block. */
  async getVerifiedTx(txId: Uint8Array | string): Promise<Result<VerifiedTx, ClientError>> {
    const id = bytesArg(txId, 'txId')
    if (!id.ok) return id
    if (id.value.length !== 32) return clientErr('CLIENT_BAD_ARGUMENT', 'txId is not 32 bytes')
    const answer = await this.#http.get(`/v1/txs/${toHex(id.value)}`)
    if (!answer.ok) return answer
    const served = asObject(answer.value)
    const height = served.height
    if (typeof height !== 'number' || !Number.isInteger(height) || height < 1) {
      return clientErr('CLIENT_MALFORMED', 'tx answer has no height ≥ 1')
    }
    const header = await this.#verifyServed(served, height)
    if (!header.ok) return header
    return verifyTxInclusion(header.value, id.value, served as unknown as TxInclusionJson)
  }

  /**
   * The value of a state key (null: proven absent) at the node's head, proven by a state proof. A
   * head below the height the client had verified when it asked is refused (`CLIENT_STALE`).
   */
  async getVerifiedState(
    key: Uint8Array | string,
  ): Promise<Result<VerifiedStateValue, ClientError>> {
    const k = bytesArg(key, 'key')
    if (!k.ok) return k
    return this.#stateAtHead(toHex(k.value))
  }

  async #stateAtHead(keyHex: string): Promise<Result<VerifiedStateValue, ClientError>> {
    const follower = await this.#getFollower()
    if (!follower.ok) return follower
    const floor = follower.value.verifiedHeight
    const answer = await this.#http.get(`/v1/state/${keyHex}`)
    if (!answer.ok) return answer
    const served = asObject(answer.value)
    const header = await follower.value.verifyHead(served.headerHex, served.certificateHex, floor)
    if (!header.ok) return header
    // The requested key, not the served one: a proof of another key fails.
    return verifyStateEntry(header.value, keyHex, served.valueHex ?? null, served.proofHex)
  }

  /**
   * The balances of `address` at the node's head, recomputed from proven state entries; the node's
   * JSON amounts must agree. `pointTypes` lists symbols the caller expects: one the node did not
   * serve must be proven absent under the same certified header (so a node cannot hide a balance
   * of a known type). When the head moves between those reads, the whole read is tried again
   * (`BALANCE_READ_ATTEMPTS` in all, then `CLIENT_STALE`).
   */
  async getVerifiedBalances(
    address: Uint8Array | string,
    options: { readonly pointTypes?: readonly string[] } = {},
  ): Promise<Result<VerifiedBalances, ClientError>> {
    const a = bytesArg(address, 'address')
    if (!a.ok) return a
    if (a.value.length !== 20) return clientErr('CLIENT_BAD_ARGUMENT', 'address is not 20 bytes')
    const symbols = options.pointTypes ?? []
    const bad = symbols.find((symbol) => !SYMBOL_PATTERN.test(symbol))
    if (bad !== undefined)
      return clientErr('CLIENT_BAD_ARGUMENT', `point type ${bad} is not a symbol`)
    for (let attempt = 1; ; attempt++) {
      const read = await this.#balancesAtHead(a.value, symbols)
      if (read.ok || read.error.code !== 'CLIENT_STALE' || attempt >= BALANCE_READ_ATTEMPTS) {
        return read
      }
    }
  }

  async #balancesAtHead(
    address: Uint8Array,
    symbols: readonly string[],
  ): Promise<Result<VerifiedBalances, ClientError>> {
    const follower = await this.#getFollower()
    if (!follower.ok) return follower
    const floor = follower.value.verifiedHeight
    const answer = await this.#http.get(`/v1/accounts/${toHex(address)}/balances`)
    if (!answer.ok) return answer
    const served = asObject(answer.value)
    const header = await follower.value.verifyHead(served.headerHex, served.certificateHex, floor)
    if (!header.ok) return header
    const proven = verifyBalanceEntries(header.value, address, served.entries)
    if (!proven.ok) return proven
    const agree = checkServedBalances(proven.value, served.balances)
    if (!agree.ok) return agree
    for (const symbol of symbols) {
      if (proven.value.balances.some((b) => b.pointType === symbol)) continue
      const state = await this.#stateAtHead(toHex(stateKeys.balance(address, symbol)))
      if (!state.ok) return state
      if (!equalBytes(state.value.blockHash, header.value.blockHash)) {
        const message = `the ${symbol} absence was proven at height ${state.value.height}, not ${proven.value.height}`
        return clientErr('CLIENT_STALE', message)
      }
      if (state.value.value !== null) {
        return clientErr('CLIENT_VALUE_MISMATCH', `the node left out the ${symbol} balance`)
      }
    }
    return ok(proven.value)
  }

  /**
   * Submits a signed tx (`POST /v1/txs`). With `wait`, waits for the commit (`?wait=commit`) and
   * returns the tx's verified inclusion.
   */
  async submit(
    signedTx: SignedTx | Uint8Array,
    options: SubmitOptions = {},
  ): Promise<Result<Submitted, ClientError>> {
    const bytes = signedTx instanceof Uint8Array ? signedTx : signedTx.signedBytes
    const path = options.wait === true ? '/v1/txs?wait=commit' : '/v1/txs'
    const answer = await this.#http.post(path, { tx: toHex(bytes) }, options.timeoutMs)
    if (!answer.ok) return answer
    const txIdHex = asObject(answer.value).txId
    if (typeof txIdHex !== 'string' || !isHex(txIdHex) || txIdHex.length !== 64) {
      return clientErr('CLIENT_MALFORMED', 'submit answer has no txId')
    }
    const txId = fromHex(txIdHex)
    if (!(signedTx instanceof Uint8Array) && !equalBytes(txId, signedTx.txId)) {
      return clientErr('CLIENT_TX_MISMATCH', 'the node acknowledged another tx id')
    }
    if (options.wait !== true) return ok({ txId })
    const verified = await this.getVerifiedTx(txId)
    if (!verified.ok) return verified
    return ok({ txId, verified: verified.value })
  }

  /**
   * Submits signed txs in one request (`POST /v1/txs/batch`, at most 1024 per request and 2 MiB).
   * The body is the canonical msgpack list of the signed txs' bytes, the form the node reads
   * without parsing hex (about half the bytes of the JSON form). Returns one result per tx, in
   * order: its id, or the node's code for that tx alone. A refusal of the whole request (a body
   * over 2 MiB) is `CLIENT_REJECTED` with the node's code in `nodeCode`. An empty list, more
   * than API_TX_BATCH_MAX txs, or an item that is empty or longer than a signed tx can be
   * (SIGNED_TX_BYTES_MAX), is `CLIENT_BAD_ARGUMENT`, and nothing is sent.
   */
  async submitBatch(
    signedTxs: readonly (SignedTx | Uint8Array)[],
    options: { readonly timeoutMs?: number } = {},
  ): Promise<Result<BatchItemResult[], ClientError>> {
    if (signedTxs.length === 0) return clientErr('CLIENT_BAD_ARGUMENT', 'no txs to submit')
    if (signedTxs.length > API_TX_BATCH_MAX) {
      const message = `${signedTxs.length} txs > limit ${API_TX_BATCH_MAX} per request`
      return clientErr('CLIENT_BAD_ARGUMENT', message)
    }
    const txs = signedTxs.map((t) => (t instanceof Uint8Array ? t : t.signedBytes))
    const bad = txs.findIndex((t) => t.length === 0 || t.length > SIGNED_TX_BYTES_MAX)
    if (bad >= 0) {
      const size = `${txs[bad]!.length} bytes, not 1..${SIGNED_TX_BYTES_MAX}`
      return clientErr('CLIENT_BAD_ARGUMENT', `txs[${bad}] is ${size}`)
    }
    const body = encodeCanonical(API_TX_BATCH_SCHEMA, txs)
    const answer = await this.#http.postMsgpack('/v1/txs/batch', body, options.timeoutMs)
    if (!answer.ok) return answer
    const results = asObject(answer.value).results
    if (!Array.isArray(results) || results.length !== signedTxs.length) {
      return clientErr('CLIENT_MALFORMED', `batch answer has no list of ${txs.length} results`)
    }
    const out: BatchItemResult[] = []
    for (const [i, item] of results.entries()) {
      const checked = batchItemOf(item, signedTxs[i]!)
      if (!checked.ok) return checked
      out.push(checked.value)
    }
    return ok(out)
  }
}
