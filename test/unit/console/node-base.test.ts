/**
 * Goal: a node named by a `?api=` link is used for that visit only: the console does not save it as
 * the node of later visits, nor pin the validator set it first learned from it (trust on first
 * use), so a crafted link cannot pin a hostile node; a typed or saved node, or the page's own
 * origin, is remembered as before; the header names the node whenever it is not the page's origin.
 * Method: console/node-base.ts (what console/main.ts and console/session.ts call) with an in-memory
 * storage in place of localStorage: table cases for the choice of base, and two visits in a row,
 * the first from a crafted link, checked through what the second one chooses and trusts.
 */
import { describe, expect, it } from 'vitest'
import {
  API_BASE_KEY,
  FALLBACK_BASE,
  TRUST_KEY_PREFIX,
  chooseBase,
  foreignNodeNotice,
  rememberBase,
  remembers,
  trustAnchor,
  typedBase,
  type KeyValueStore,
  type NodeBase,
  type PageLocation,
} from '../../../console/node-base.ts'
import { ok } from '../../../src/util/result.ts'

/** An in-memory stand-in for localStorage. */
function memoryStorage(entries: Record<string, string> = {}): KeyValueStore & {
  readonly map: Map<string, string>
} {
  const map = new Map(Object.entries(entries))
  return {
    map,
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => {
      map.set(key, value)
    },
  }
}

const ORIGIN = 'https://console.example'
const HOSTILE = 'http://203.0.113.9:26657'
const NODE = 'http://10.0.0.5:26657'
const at = (search: string, protocol = 'https:'): PageLocation => ({
  search,
  origin: ORIGIN,
  protocol,
})

describe('chooseBase', () => {
  it('takes ?api= first, then the saved base, then the page origin, then the fallback', () => {
    const saved = memoryStorage({ [API_BASE_KEY]: NODE })
    const empty = memoryStorage()
    const q = `?api=${encodeURIComponent(HOSTILE)}`
    expect(chooseBase(at(q), saved)).toEqual({ base: HOSTILE, source: 'query' })
    expect(chooseBase(at(''), saved)).toEqual({ base: NODE, source: 'saved' })
    expect(chooseBase(at('?api='), empty)).toEqual({ base: ORIGIN, source: 'origin' })
    expect(chooseBase(at('', 'file:'), empty)).toEqual({ base: FALLBACK_BASE, source: 'fallback' })
  })
})

describe('rememberBase', () => {
  it('never saves a base from the query; saves typed, saved and origin bases', () => {
    const cases: [NodeBase['source'], boolean][] = [
      ['query', false],
      ['typed', true],
      ['saved', true],
      ['origin', true],
      ['fallback', true],
    ]
    for (const [source, saved] of cases) {
      const storage = memoryStorage()
      rememberBase(storage, { base: NODE, source })
      expect(storage.map.get(API_BASE_KEY), source).toBe(saved ? NODE : undefined)
      expect(remembers(source), source).toBe(saved)
    }
  })

  it('keeps the base of an earlier visit when a link names another node', () => {
    const storage = memoryStorage({ [API_BASE_KEY]: NODE })
    rememberBase(storage, { base: HOSTILE, source: 'query' })
    expect(storage.map.get(API_BASE_KEY)).toBe(NODE)
  })
})

describe('typedBase', () => {
  const fromLink: NodeBase = { base: HOSTILE, source: 'query' }

  it('connecting again to the node a link named does not make it remembered', () => {
    expect(typedBase(` ${HOSTILE}/ `, fromLink)).toEqual({ base: HOSTILE + '/', source: 'query' })
    expect(typedBase(HOSTILE, fromLink)).toEqual({ base: HOSTILE, source: 'query' })
  })

  it('another typed address is a choice of the user, remembered', () => {
    expect(typedBase(NODE, fromLink)).toEqual({ base: NODE, source: 'typed' })
    expect(typedBase(NODE, null)).toEqual({ base: NODE, source: 'typed' })
    expect(typedBase(NODE, { base: NODE, source: 'saved' })).toEqual({
      base: NODE,
      source: 'typed',
    })
  })
})

describe('foreignNodeNotice', () => {
  it('names a node that is not the page origin, and says when a link set it', () => {
    expect(foreignNodeNotice({ base: ORIGIN, source: 'origin' }, ORIGIN)).toBeNull()
    expect(foreignNodeNotice({ base: `${ORIGIN}/`, source: 'saved' }, ORIGIN)).toBeNull()
    expect(foreignNodeNotice({ base: HOSTILE, source: 'query' }, ORIGIN)).toBe(
      `Node: ${HOSTILE} (set by the link that opened this page, for this visit only)`,
    )
    expect(foreignNodeNotice({ base: NODE, source: 'saved' }, ORIGIN)).toBe(
      `Node: ${NODE} (not the server of this page)`,
    )
    expect(foreignNodeNotice({ base: 'not a url', source: 'typed' }, ORIGIN)).toBe(
      'Node: not a url (not the server of this page)',
    )
  })
})

describe('trustAnchor', () => {
  it('pins the first validator set of a chain only when the visit remembers', async () => {
    for (const remember of [true, false]) {
      const storage = memoryStorage()
      const got = await trustAnchor(storage, 'chain-a', remember, () => Promise.resolve(ok('aa')))
      expect(got).toEqual(ok('aa'))
      expect(storage.map.get(`${TRUST_KEY_PREFIX}chain-a`), String(remember)).toBe(
        remember ? 'aa' : undefined,
      )
    }
  })

  it('keeps a pinned set and does not ask the node', async () => {
    const storage = memoryStorage({ [`${TRUST_KEY_PREFIX}chain-a`]: 'aa' })
    let asked = 0
    const got = await trustAnchor(storage, 'chain-a', false, () => {
      asked++
      return Promise.resolve(ok('bb'))
    })
    expect(got).toEqual(ok('aa'))
    expect(asked).toBe(0)
  })
})

describe('a crafted link, then a normal visit', () => {
  it('the second visit neither goes to the linked node nor trusts its validator set', async () => {
    const storage = memoryStorage()
    // Visit 1: a link names a hostile node that claims the real chain id with its own set.
    const first = chooseBase(at(`?api=${encodeURIComponent(HOSTILE)}`), storage)
    const forged = await trustAnchor(storage, 'pointsnode-main', remembers(first.source), () =>
      Promise.resolve(ok('f0'.repeat(32))),
    )
    expect(forged.ok).toBe(true)
    rememberBase(storage, first)
    expect(foreignNodeNotice(first, ORIGIN)).toContain(HOSTILE)
    expect([...storage.map.keys()]).toEqual([])
    // Visit 2: the page's own node, whose genesis set is the real one.
    const second = chooseBase(at(''), storage)
    expect(second).toEqual({ base: ORIGIN, source: 'origin' })
    const real = await trustAnchor(storage, 'pointsnode-main', remembers(second.source), () =>
      Promise.resolve(ok('0a'.repeat(32))),
    )
    expect(real).toEqual(ok('0a'.repeat(32)))
    rememberBase(storage, second)
    expect(storage.map.get(API_BASE_KEY)).toBe(ORIGIN)
    expect(storage.map.get(`${TRUST_KEY_PREFIX}pointsnode-main`)).toBe('0a'.repeat(32))
  })
})
