/**
 * Which node the console talks to, and what it remembers of it (docs/console.md#which-node): the
 * API base of a visit comes from the `?api=` query, the address typed in the header, the one saved
 * by an earlier visit, or the page's own origin. A base that came from a link is used for that visit
 * only: it is never saved, and neither is the trust anchor first learned from it, so a crafted link
 * cannot pin a hostile node (or its validator set) for later visits. A node that is not the page's
 * own origin is named in the header. No DOM: the storage is passed in (the browser's
 * `localStorage`), so this is unit-tested in Node (test/unit/console/node-base.test.ts).
 */
import { ok, type Result } from '../src/util/result.ts'
import type { CodedError } from './api.ts'

/** The storage key of the saved API base. */
export const API_BASE_KEY = 'pointsnode.api'
/** The storage key prefix of the trusted genesis validator-set hash, per chain id. */
export const TRUST_KEY_PREFIX = 'pointsnode.trust.'
/** The base when nothing else names one (a page opened from a file). */
export const FALLBACK_BASE = 'http://127.0.0.1:26657'

/** The part of `localStorage` the console uses. */
export interface KeyValueStore {
  getItem(key: string): string | null
  setItem(key: string, value: string): void
}

/** Where a visit's API base came from. */
export type BaseSource = 'query' | 'typed' | 'saved' | 'origin' | 'fallback'

/** The API base of a visit and where it came from. */
export interface NodeBase {
  readonly base: string
  readonly source: BaseSource
}

/** The page's address, as `location` has it. */
export interface PageLocation {
  readonly search: string
  readonly origin: string
  readonly protocol: string
}

/** The base of a visit: `?api=`, else the saved one, else the page's origin, else the fallback. */
export function chooseBase(page: PageLocation, storage: KeyValueStore): NodeBase {
  const fromQuery = new URLSearchParams(page.search).get('api')
  if (fromQuery) return { base: fromQuery, source: 'query' }
  const saved = storage.getItem(API_BASE_KEY)
  if (saved) return { base: saved, source: 'saved' }
  if (page.protocol.startsWith('http')) return { base: page.origin, source: 'origin' }
  return { base: FALLBACK_BASE, source: 'fallback' }
}

/** Strips what `Api` strips from a base (trailing slashes) and surrounding space. */
const normalized = (base: string): string => base.trim().replace(/\/+$/, '')

/**
 * The base of the header's Connect: the typed address, remembered like any typed one, except that
 * connecting again to the node a link named (its address still in the field) keeps it unremembered.
 */
export function typedBase(text: string, current: NodeBase | null): NodeBase {
  const base = text.trim()
  const again = current !== null && normalized(current.base) === normalized(base)
  return { base, source: again && current.source === 'query' ? 'query' : 'typed' }
}

/** Whether what a visit learns from its node is kept for later visits: not when a link named it. */
export function remembers(source: BaseSource): boolean {
  return source !== 'query'
}

/** Saves a base the console connected to for later visits, unless a link named it. */
export function rememberBase(storage: KeyValueStore, node: NodeBase): void {
  if (remembers(node.source)) storage.setItem(API_BASE_KEY, node.base)
}

/** The origin of `base`, or null when it is not a URL. */
function originOf(base: string): string | null {
  try {
    return new URL(base).origin
  } catch {
    // Not a URL: it is shown as typed, and never counts as the page's own origin.
    return null
  }
}

/**
 * The line that names the node when it is not the page's own origin (null when it is), saying
 * whether it is remembered.
 */
export function foreignNodeNotice(node: NodeBase, pageOrigin: string): string | null {
  if (originOf(node.base) === pageOrigin) return null
  const why =
    node.source === 'query'
      ? 'set by the link that opened this page, for this visit only'
      : 'not the server of this page'
  return `Node: ${node.base} (${why})`
}

/**
 * The trusted genesis validator-set hash of `chainId`: the one pinned by an earlier visit, else the
 * node's (`genesisHash`), pinned for later visits only when `remember` (trust on first use).
 */
export async function trustAnchor(
  storage: KeyValueStore,
  chainId: string,
  remember: boolean,
  genesisHash: () => Promise<Result<string, CodedError>>,
): Promise<Result<string, CodedError>> {
  const pinned = storage.getItem(TRUST_KEY_PREFIX + chainId)
  if (pinned !== null) return ok(pinned)
  const hash = await genesisHash()
  if (!hash.ok) return hash
  if (remember) storage.setItem(TRUST_KEY_PREFIX + chainId, hash.value)
  return ok(hash.value)
}
