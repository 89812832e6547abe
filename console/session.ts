/**
 * The console's session with one node: the API, the verifying light client (src/client), the
 * chain facts the pages need (chain id, head height, universal symbol, platform account, operator
 * key, point types) and `submit`, which signs a tx in the browser and posts it.
 *
 * Trust: the light client checks every certified read against a validator set. The console pins
 * the genesis validator set's hash per chain id in localStorage the first time it connects (trust
 * on first use, shown on the page) unless one is configured, and not at all for a node a link named
 * (`rememberTrust` false: that visit trusts it in memory only); docs/console.md.
 */
import { LightClient, type ClientError } from '../src/client/index.ts'
import type { KeyPair } from '../src/client/keys.ts'
import { signedTx } from '../src/client/tx-builder.ts'
import { decodeCanonical } from '../src/codec/canonical.ts'
import type { TxBody, TxKind } from '../src/core/tx.ts'
import { fromHex, toHex } from '../src/util/bytes.ts'
import { err, ok, type Result } from '../src/util/result.ts'
import { keys as stateKeys } from '../src/vm/keys.ts'
import { CONFIG_SCHEMA, ROLE_SCHEMA } from '../src/vm/schemas.ts'
import { Api, NODE_UNREACHABLE, type CodedError } from './api.ts'
import { trustAnchor } from './node-base.ts'

/** A point type as `/v1/point-types` lists it. */
export interface PointTypeJson {
  readonly symbol: string
  readonly name: string
  readonly issuer: string
  readonly decimals: number
  readonly expirySeconds: string
  readonly transferable: boolean
  readonly convertible: boolean
  readonly maxSupply: string | null
  readonly issued: string
  readonly burned: string
}

/** An enterprise as `/v1/enterprises` lists it. */
export interface EnterpriseJson {
  readonly address: string
  readonly name: string
  readonly isIssuer: boolean
  readonly isAcceptor: boolean
  readonly active: boolean
}

/** A list page. */
export interface Page<T> {
  readonly items: T[]
  readonly next: string | null
}

/** Blocks a submitted tx may wait for before it expires. */
const TX_TTL = 100

/** What `submit` reports for a committed tx. */
export interface Committed {
  readonly txId: string
  readonly height: number
  readonly events: readonly { type: string; attributes: readonly (readonly [string, string])[] }[]
}

/** Maps a light-client error to what the user sees (the node's own code when it sent one). */
export function codedOfClient(e: ClientError): CodedError {
  if (e.nodeCode !== undefined) return { code: e.nodeCode, message: e.message }
  if (e.code === 'CLIENT_HTTP' && e.status === undefined) {
    return { code: NODE_UNREACHABLE, message: e.message }
  }
  return { code: e.code, message: e.message }
}

/** The session. `key` is the unlocked key (memory only). */
export class Session {
  readonly api: Api
  light: LightClient | null = null
  chainId = ''
  height = 0
  universal = 'UNI'
  platformAccount = ''
  operatorPublicKey: Uint8Array | null = null
  trustedValidatorsHash = ''
  pointTypes = new Map<string, PointTypeJson>()
  enterprises: EnterpriseJson[] = []
  key: KeyPair | null = null
  keyLabel = ''
  readonly #rememberTrust: boolean

  /**
   * A session with the node at `base`; `rememberTrust` false keeps a trust anchor first learned
   * from this node out of localStorage (a node named by a link, docs/console.md#which-node).
   */
  constructor(base: string, onReachable: (reachable: boolean) => void, rememberTrust = true) {
    this.api = new Api(base, onReachable)
    this.#rememberTrust = rememberTrust
  }

  /** Connects: status, trust anchor, verified chain config, point types, enterprises. */
  async connect(): Promise<Result<true, CodedError>> {
    const status = await this.api.get<{ chainId: string; height: number }>('/v1/status')
    if (!status.ok) return status
    this.chainId = status.value.chainId
    this.height = status.value.height
    const trust = await this.#trustAnchor()
    if (!trust.ok) return trust
    this.light = new LightClient({
      baseUrl: this.api.base,
      chainId: this.chainId,
      trustedValidatorsHash: trust.value,
    })
    const config = await this.#verifiedConfig()
    if (!config.ok) return config
    return this.refreshLists()
  }

  async #trustAnchor(): Promise<Result<string, CodedError>> {
    const anchor = await trustAnchor(localStorage, this.chainId, this.#rememberTrust, async () => {
      const genesis = await this.api.get<{ header: { validatorsHash: string } }>('/v1/blocks/0')
      return genesis.ok ? ok(genesis.value.header.validatorsHash) : genesis
    })
    if (anchor.ok) this.trustedValidatorsHash = anchor.value
    return anchor
  }

  /** Reads the chain config and the platform operator's key with state proofs. */
  async #verifiedConfig(): Promise<Result<true, CodedError>> {
    const light = this.light!
    const config = await light.getVerifiedState(stateKeys.config())
    if (!config.ok) return err(codedOfClient(config.error))
    if (config.value.value === null)
      return err({ code: 'CONSOLE_NO_CONFIG', message: 'no chain config' })
    const decoded = decodeCanonical(CONFIG_SCHEMA, config.value.value, 4096)
    if (!decoded.ok) return err({ code: decoded.error.code, message: decoded.error.message })
    this.universal = decoded.value.universalSymbol
    this.platformAccount = toHex(decoded.value.platformAccount)
    const role = await light.getVerifiedState(stateKeys.operator(decoded.value.platformAccount))
    if (role.ok && role.value.value !== null) {
      const r = decodeCanonical(ROLE_SCHEMA, role.value.value, 4096)
      if (r.ok) this.operatorPublicKey = r.value.publicKey
    }
    return ok(true)
  }

  /** Reloads point types, enterprises and the head height. */
  async refreshLists(): Promise<Result<true, CodedError>> {
    const types = await this.api.get<Page<PointTypeJson>>('/v1/point-types?limit=1000')
    if (!types.ok) return types
    this.pointTypes = new Map(types.value.items.map((t) => [t.symbol, t]))
    const ents = await this.api.get<Page<EnterpriseJson>>('/v1/enterprises?limit=1000')
    if (!ents.ok) return ents
    this.enterprises = ents.value.items
    const status = await this.api.get<{ height: number }>('/v1/status')
    if (!status.ok) return status
    this.height = status.value.height
    return ok(true)
  }

  /** The unlocked key, or a coded error asking for one. */
  requireKey(): Result<KeyPair, CodedError> {
    if (this.key) return ok(this.key)
    return err({ code: 'CONSOLE_NO_KEY', message: 'create, import or unlock a key first' })
  }

  /**
   * Signs a tx of `kind` with the unlocked key, posts it, waits for the commit and verifies its
   * inclusion and receipt with the light client. A tx that commits but fails (its receipt's code)
   * is an error too.
   */
  async submit<K extends TxKind>(kind: K, body: TxBody<K>): Promise<Result<Committed, CodedError>> {
    const key = this.requireKey()
    if (!key.ok) return key
    const light = this.light
    if (!light) return err({ code: NODE_UNREACHABLE, message: 'not connected to a node' })
    const status = await this.api.get<{ height: number }>('/v1/status')
    if (!status.ok) return status
    this.height = status.value.height
    const tx = signedTx(key.value, kind, body, {
      chainId: this.chainId,
      expiresAtHeight: this.height + TX_TTL,
    })
    const sent = await light.submit(tx, { wait: true })
    if (!sent.ok) return err(codedOfClient(sent.error))
    const verified = sent.value.verified!
    const receipt = verified.receipt
    if (!receipt.ok) {
      const code = receipt.code ?? 'TX_FAILED'
      return err({
        code,
        message: `the tx was committed at height ${verified.height} but failed: ${code}`,
      })
    }
    this.height = Math.max(this.height, verified.height)
    return ok({ txId: toHex(tx.txId), height: verified.height, events: receipt.events })
  }

  /** Whether an address is a registered account or an enterprise (both read with proofs). */
  async isKnownAddress(address: string): Promise<Result<boolean, CodedError>> {
    const light = this.light
    if (!light) return err({ code: NODE_UNREACHABLE, message: 'not connected to a node' })
    for (const key of [
      stateKeys.account(fromHex(address)),
      stateKeys.enterprise(fromHex(address)),
    ]) {
      const state = await light.getVerifiedState(key)
      if (!state.ok) return err(codedOfClient(state.error))
      if (state.value.value !== null) return ok(true)
    }
    return ok(false)
  }
}
