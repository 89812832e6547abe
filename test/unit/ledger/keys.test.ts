/**
 * Goal: the ledger's integer key parts are big-endian, fixed width, so byte order is numeric order,
 * and `readU32` reads back what `u32Key` wrote, at any offset of a larger array.
 * Method: expected bytes written by hand; a sorted list of numbers must give sorted keys.
 */
import { describe, expect, it } from 'vitest'
import { readU32, u32Key, u64Key } from '../../../src/ledger/keys.ts'
import { compareBytes } from '../../../src/util/bytes.ts'

describe('integer key parts', () => {
  it('u32Key and u64Key write big-endian bytes', () => {
    expect([...u32Key(0)]).toEqual([0, 0, 0, 0])
    expect([...u32Key(0x01020304)]).toEqual([1, 2, 3, 4])
    expect([...u32Key(0xffff_ffff)]).toEqual([255, 255, 255, 255])
    expect([...u64Key(0n)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0])
    expect([...u64Key(0x0102030405060708n)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect([...u64Key(0x1_0000_0000n)]).toEqual([0, 0, 0, 1, 0, 0, 0, 0])
    expect([...u64Key((1n << 64n) - 1n)]).toEqual(new Array(8).fill(255))
  })

  it('refuses values out of range', () => {
    expect(() => u32Key(-1)).toThrow()
    expect(() => u32Key(2 ** 32)).toThrow()
    expect(() => u32Key(1.5)).toThrow()
    expect(() => u64Key(-1n)).toThrow()
    expect(() => u64Key(1n << 64n)).toThrow()
  })

  it('orders keys as the numbers, and readU32 reads them back at an offset', () => {
    const numbers = [0, 1, 255, 256, 65_535, 65_536, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff]
    const keys = numbers.map(u32Key)
    for (let i = 1; i < keys.length; i++)
      expect(compareBytes(keys[i - 1]!, keys[i]!)).toBeLessThan(0)
    const big = [1_000n, 1n << 32n, (1n << 63n) + 5n, (1n << 64n) - 1n].map(u64Key)
    for (let i = 1; i < big.length; i++) expect(compareBytes(big[i - 1]!, big[i]!)).toBeLessThan(0)
    for (const n of numbers) {
      const framed = Uint8Array.of(9, 9, 9, ...u32Key(n), 9)
      expect(readU32(framed.subarray(1), 2)).toBe(n)
    }
    expect(() => readU32(Uint8Array.of(1, 2, 3), 0)).toThrow()
  })
})
