/**
 * How the console reads lists that grow (docs/console.md#lists): the latest records of a
 * ledger-backed list in one request, newest first (`order=desc&limit=N`, docs/api.md#conventions),
 * and all of one account's open orders in a market's book, following `next` through every page
 * (a book holds up to `ORDERS_PER_MARKET_MAX` orders; the API pages at most 1000). No DOM: it reads
 * through anything with `get` (the console's `Api`), and is unit-tested in Node against the real
 * API stack (test/unit/console/lists.test.ts).
 */
import { assert } from '../src/util/assert.ts'
import { ORDERS_PER_MARKET_MAX } from '../src/vm/limits.ts'
import { err, ok, type Result } from '../src/util/result.ts'
import type { CodedError } from './api.ts'

/** The largest page the list routes serve (docs/api.md#conventions). */
export const LIST_PAGE_MAX = 1000

/**
 * Most book pages read while looking for one account's orders: a full book at the largest page,
 * twice over for orders placed while the pages are read, and the empty page that may end it.
 */
export const BOOK_PAGES_MAX = 2 * Math.ceil(ORDERS_PER_MARKET_MAX / LIST_PAGE_MAX) + 1

/** What the list reads need of the node's API (the console's `Api` has it). */
export interface JsonSource {
  get<T>(path: string): Promise<Result<T, CodedError>>
}

/** A page of a list route (`{ items, next }`). */
interface ListPage<T> {
  readonly items: T[]
  readonly next: string | null
}

/** An open order as the book lists it (the fields this module reads). */
export interface OwnedOrder {
  readonly owner: string
}

/** The path that reads the latest `count` (1..1000) records of the list at `path`, newest first. */
export function latestPath(path: string, count: number): string {
  // The counts are the pages' constants: one out of range is a bug, not input.
  assert(Number.isInteger(count) && count >= 1, `count ${count} is not a positive integer`)
  assert(count <= LIST_PAGE_MAX, `count ${count} is above the largest page ${LIST_PAGE_MAX}`)
  const separator = path.includes('?') ? '&' : '?'
  return `${path}${separator}order=desc&limit=${count}`
}

/**
 * The latest `count` records of the ledger-backed list at `path` (history, auction results, burns,
 * rate history), newest first: one request, whatever the length of the list.
 */
export async function latest<T>(
  api: JsonSource,
  path: string,
  count: number,
): Promise<Result<T[], CodedError>> {
  const got = await api.get<ListPage<T>>(latestPath(path, count))
  return got.ok ? ok(got.value.items) : got
}

/**
 * The open orders of `owner` (address hex) in the book of market `marketId` (`BASE/QUOTE`), in
 * arrival order: every page of the book, following `next`. Refuses with `CONSOLE_BOOK_TOO_LONG`
 * rather than show a partial list when the book does not end within `BOOK_PAGES_MAX` pages.
 */
export async function ownOrders<T extends OwnedOrder>(
  api: JsonSource,
  marketId: string,
  owner: string,
): Promise<Result<T[], CodedError>> {
  const base = `/v1/markets/${encodeURIComponent(marketId)}?limit=${LIST_PAGE_MAX}`
  const mine: T[] = []
  let cursor: string | null = null
  for (let pages = 0; pages < BOOK_PAGES_MAX; pages++) {
    const path: string = cursor === null ? base : `${base}&cursor=${encodeURIComponent(cursor)}`
    const got = await api.get<{ orders: T[]; next: string | null }>(path)
    if (!got.ok) return got
    mine.push(...got.value.orders.filter((o) => o.owner === owner))
    cursor = got.value.next
    if (cursor === null) return ok(mine)
  }
  return err({
    code: 'CONSOLE_BOOK_TOO_LONG',
    message: `the book of ${marketId} did not end within ${BOOK_PAGES_MAX} pages`,
  })
}
