/**
 * Goal: the state root and the proof encoding are fixed by golden vectors (docs/protocol/state.md);
 * any change to hashing, shape or encoding fails here and needs an ADR (consensus break).
 * Method: test/vectors/state-tree.json holds roots computed by the independent spec implementation
 * (test/support/state.ts) and canonical proof encodings. Each state is built from scratch and by
 * updates from the empty tree; each proof is regenerated, compared byte for byte, and verified.
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { verifyEncodedStateProof } from '../../src/client/state-proof.ts'
import { encodeStateProof } from '../../src/codec/state-proof.ts'
import { EMPTY_STATE_TREE, buildTree } from '../../src/state/index.ts'
import { fromHex, toHex, utf8 } from '../../src/util/bytes.ts'
import { writeSetFrom } from '../support/state.ts'

interface Vectors {
  states: { name: string; entries: [string, string][]; root: string }[]
  proofs: { state: string; key: string; value: string | null; proof: string }[]
}

const vectors = JSON.parse(
  readFileSync(new URL('./state-tree.json', import.meta.url), 'utf8'),
) as Vectors

function entriesOf(name: string): { key: Uint8Array; value: Uint8Array }[] {
  const state = vectors.states.find((s) => s.name === name)
  expect(state, `vector state ${name}`).toBeDefined()
  return state!.entries.map(([k, v]) => ({ key: utf8(k), value: utf8(v) }))
}

describe('state tree golden vectors', () => {
  it('has at least five states and eight proofs', () => {
    expect(vectors.states.length).toBeGreaterThanOrEqual(5)
    expect(vectors.proofs.length).toBeGreaterThanOrEqual(8)
  })

  it('builds every state to its root, from scratch and by updates', () => {
    for (const state of vectors.states) {
      const entries = entriesOf(state.name)
      expect(toHex(buildTree(entries).root()), `build ${state.name}`).toBe(state.root)
      const updated = EMPTY_STATE_TREE.update(writeSetFrom(entries))
      expect(toHex(updated.root()), `update ${state.name}`).toBe(state.root)
    }
  })

  it('regenerates every proof byte for byte and verifies it', () => {
    for (const vector of vectors.proofs) {
      const where = `${vector.state}/${vector.key}`
      const state = vectors.states.find((s) => s.name === vector.state)!
      const tree = buildTree(entriesOf(vector.state))
      expect(toHex(encodeStateProof(tree.prove(utf8(vector.key)))), `proof ${where}`).toBe(
        vector.proof,
      )
      const value = vector.value === null ? null : utf8(vector.value)
      const root = fromHex(state.root)
      const proof = fromHex(vector.proof)
      expect(verifyEncodedStateProof(root, utf8(vector.key), value, proof).ok, where).toBe(true)
      const opposite = value === null ? utf8('') : null
      const lie = verifyEncodedStateProof(root, utf8(vector.key), opposite, proof)
      expect(lie.ok, `opposite claim ${where}`).toBe(false)
    }
  })
})
