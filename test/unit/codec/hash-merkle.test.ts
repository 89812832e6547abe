/**
 * Goal: domain tags are prefix-free and hashing matches sha256(tag ‖ bytes); the binary Merkle tree
 * proves every leaf and rejects tampered proofs.
 * Method: compare with node:crypto's sha256 (roots against a reference tree built with it for
 * every size 1..300); build trees of 0..40 leaves and check every proof, plus proofs with a flipped
 * bit, a wrong leaf and a wrong root.
 */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { HASH_TAGS, hashTagged } from '../../../src/codec/hash.ts'
import {
  EMPTY_MERKLE_ROOT,
  merkleProof,
  merkleRoot,
  verifyMerkleProof,
} from '../../../src/codec/merkle.ts'
import { fromHex, toHex, utf8 } from '../../../src/util/bytes.ts'

const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256')
  for (const p of parts) h.update(p)
  return h.digest('hex')
}

describe('domain-separated hashing', () => {
  it('no tag is a prefix of another', () => {
    const tags = Object.values(HASH_TAGS)
    for (const a of tags)
      for (const b of tags) if (a !== b) expect(b.startsWith(a), `${a} / ${b}`).toBe(false)
  })

  it('is sha256 of the tag followed by the bytes', () => {
    const data = utf8('payload')
    expect(toHex(hashTagged('tx', data))).toBe(sha(utf8('pointsnode/tx'), data))
    expect(toHex(hashTagged('header', data))).toBe(sha(utf8('pointsnode/header#'), data))
  })
})

describe('binary merkle tree', () => {
  const leaves = (n: number) => Array.from({ length: n }, (_, i) => utf8(`leaf-${i}`))

  it('has a fixed empty root and hashes a single leaf under the leaf tag', () => {
    expect(toHex(merkleRoot([]))).toBe(toHex(EMPTY_MERKLE_ROOT))
    expect(toHex(merkleRoot([utf8('x')]))).toBe(sha(utf8('pointsnode/merkle-leaf#'), utf8('x')))
  })

  it('combines two leaves under the node tag', () => {
    const [a, b] = [utf8('a'), utf8('b')]
    const la = Buffer.from(sha(utf8('pointsnode/merkle-leaf#'), a), 'hex')
    const lb = Buffer.from(sha(utf8('pointsnode/merkle-leaf#'), b), 'hex')
    expect(toHex(merkleRoot([a, b]))).toBe(sha(utf8('pointsnode/merkle-node#'), la, lb))
  })

  it('proves every leaf of trees of 1..40 leaves and rejects tampering', () => {
    for (let n = 1; n <= 40; n++) {
      const list = leaves(n)
      const root = merkleRoot(list)
      for (let i = 0; i < n; i++) {
        const proof = merkleProof(list, i)
        expect(verifyMerkleProof(root, list[i]!, proof), `n=${n} i=${i}`).toBe(true)
        expect(verifyMerkleProof(root, utf8('other'), proof), `n=${n} i=${i} wrong leaf`).toBe(
          false,
        )
        const badRoot = root.slice()
        badRoot[0] = badRoot[0]! ^ 1
        expect(verifyMerkleProof(badRoot, list[i]!, proof), `n=${n} i=${i} wrong root`).toBe(false)
        if (proof.length > 0) {
          const sibling = proof[0]!.sibling.slice()
          sibling[3] = sibling[3]! ^ 0x80
          const tampered = [{ ...proof[0]!, sibling }, ...proof.slice(1)]
          expect(verifyMerkleProof(root, list[i]!, tampered), `n=${n} i=${i} tampered`).toBe(false)
        }
      }
    }
  })

  it('equals a node:crypto reference tree for every size up to 300, any leaf lengths', () => {
    const leafTag = utf8('pointsnode/merkle-leaf#')
    const nodeTag = utf8('pointsnode/merkle-node#')
    const reference = (list: Uint8Array[]): string => {
      let level: Uint8Array[] = list.map((leaf) => fromHex(sha(leafTag, leaf)))
      while (level.length > 1) {
        const next: Uint8Array[] = []
        for (let i = 0; i < level.length; i += 2) {
          const right = level[i + 1]
          next.push(right ? fromHex(sha(nodeTag, level[i]!, right)) : level[i]!)
        }
        level = next
      }
      return toHex(level[0]!)
    }
    for (let n = 1; n <= 300; n++) {
      // Variable-length leaves (receipts) and 32-byte ones (tx ids), which take another path.
      const list = Array.from({ length: n }, (_, i) => utf8(`tx ${i} of ${n}`.repeat(1 + (i % 3))))
      expect(toHex(merkleRoot(list)), `n=${n}`).toBe(reference(list))
      const ids = list.map((leaf) => fromHex(sha(leaf)))
      expect(toHex(merkleRoot(ids)), `n=${n}, 32-byte leaves`).toBe(reference(ids))
      const mixed = list.map((leaf, i) => (i % 2 === 0 ? fromHex(sha(leaf)) : leaf))
      expect(toHex(merkleRoot(mixed)), `n=${n}, mixed leaves`).toBe(reference(mixed))
    }
  })

  it('distinguishes lists that differ only in order or length', () => {
    const list = leaves(5)
    expect(toHex(merkleRoot(list))).not.toBe(toHex(merkleRoot([...list].reverse())))
    expect(toHex(merkleRoot(list))).not.toBe(toHex(merkleRoot(list.slice(0, 4))))
  })
})
