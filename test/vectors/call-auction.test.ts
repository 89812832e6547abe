/**
 * Goal: `clearCallAuction` reproduces every vector of the customer's independent vector file
 * `../shared/vectors/call-auction.json` (SPEC.md 4.1) exactly: price, volume and every fill.
 * Method: read the file unchanged from the shared folder next to the repository, parse its decimal
 * price strings ("1.50", 1 tick = 0.01) into ticks by string arithmetic (never floats), run the
 * auction, and compare with the expected values written in the file.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { clearCallAuction, type AuctionOrder } from '../../src/vm/auction.ts'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const vectorsPath = path.resolve(repoRoot, '../shared/vectors/call-auction.json')

/** Parses a two-decimal price string ("12.34") into ticks (1234n) without floats. */
function parseTicks(text: unknown, where: string): bigint {
  if (typeof text !== 'string') throw new Error(`${where}: price is not a string`)
  const match = /^(0|[1-9][0-9]*)\.([0-9]{2})$/.exec(text)
  if (match === null) throw new Error(`${where}: price ${text} is not d+.dd`)
  return BigInt(match[1]!) * 100n + BigInt(match[2]!)
}

function parseNullableTicks(text: unknown, where: string): bigint | null {
  return text === null ? null : parseTicks(text, where)
}

/** Parses a JSON integer (the file writes quantities and seqs as numbers) into a bigint. */
function parseInteger(value: unknown, where: string): bigint {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new Error(`${where}: ${String(value)} is not a safe integer`)
  }
  return BigInt(value)
}

interface RawVector {
  name: string
  lastPrice: unknown
  referencePrice: unknown
  orders: { id: string; side: unknown; price: unknown; qty: unknown; seq: unknown }[]
  expect: { price: unknown; volume: unknown; fills: Record<string, unknown> }
}

function parseOrder(raw: RawVector['orders'][number], where: string): AuctionOrder {
  const side = raw.side
  if (side !== 'buy' && side !== 'sell') throw new Error(`${where}: side ${String(side)}`)
  return {
    id: raw.id,
    side,
    price: parseTicks(raw.price, where),
    qty: parseInteger(raw.qty, where),
    seq: parseInteger(raw.seq, where),
  }
}

const vectors = JSON.parse(readFileSync(vectorsPath, 'utf8')) as RawVector[]

describe('call-auction vectors (../shared/vectors/call-auction.json)', () => {
  it('the file holds vectors with unique names', () => {
    expect(Array.isArray(vectors)).toBe(true)
    expect(vectors.length).toBeGreaterThanOrEqual(10)
    expect(new Set(vectors.map((v) => v.name)).size).toBe(vectors.length)
  })

  it('parses prices by string arithmetic', () => {
    expect(parseTicks('12.34', 'test')).toBe(1234n)
    expect(parseTicks('0.07', 'test')).toBe(7n)
    expect(parseTicks('1.10', 'test')).toBe(110n)
    expect(() => parseTicks('1.1', 'test')).toThrow()
    expect(() => parseTicks(1.1, 'test')).toThrow()
  })

  for (const vector of vectors) {
    it(vector.name, () => {
      const where = `vector ${vector.name}`
      const orders = vector.orders.map((o) => parseOrder(o, `${where} order ${o.id}`))
      const result = clearCallAuction(
        orders,
        parseNullableTicks(vector.lastPrice, `${where} lastPrice`),
        parseNullableTicks(vector.referencePrice, `${where} referencePrice`),
      )
      const expectedPrice = parseNullableTicks(vector.expect.price, `${where} expect.price`)
      expect(result.price, `${where}: price`).toBe(expectedPrice)
      expect(result.volume, `${where}: volume`).toBe(parseInteger(vector.expect.volume, where))
      const expectedIds = Object.keys(vector.expect.fills).sort()
      expect([...result.fills.keys()].sort(), `${where}: fill ids`).toEqual(expectedIds)
      for (const id of expectedIds) {
        const expected = parseInteger(vector.expect.fills[id], `${where} fill ${id}`)
        expect(result.fills.get(id), `${where}: fill of ${id}`).toBe(expected)
      }
    })
  }
})
