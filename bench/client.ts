/**
 * `npm run bench:client`: the light client's proof verifications per second on this machine (what a
 * browser or an enterprise backend pays per verified read), with one noble signature verification
 * measured in the same run as the baseline.
 * Data: a real chain built in-process (test/support/light-fixture.ts: four validators, certificates
 * with three seals, real signed txs), a 10,000-entry state tree for state proofs, and a 1,000-leaf
 * Merkle list for tx proofs in a full block.
 */
import '../src/polyfills.ts'
import { verifyBalanceEntries } from '../src/client/balances.ts'
import { verifyEncodedStateProof } from '../src/client/state-proof.ts'
import { verifyHeader, verifyTxInclusion, type VerifiedHeader } from '../src/client/verify.ts'
import { merkleProof, merkleRoot, verifyMerkleProof } from '../src/codec/merkle.ts'
import { encodeStateProof } from '../src/codec/state-proof.ts'
import { verifyDigest } from '../src/crypto/secp256k1.ts'
import { buildTree } from '../src/state/index.ts'
import { toHex, utf8 } from '../src/util/bytes.ts'
import { sha256 } from '@noble/hashes/sha2.js'
import { balancesView, headerFields, txView } from '../test/support/light-chain.ts'
import { alice, lightChain } from '../test/support/light-fixture.ts'
import { fmt, machineLine, opsPerSecond, printTable } from './harness.ts'

const STATE_ENTRIES = 10_000
const BLOCK_TXS = 1000

function mustVerify(height: number, chain: ReturnType<typeof lightChain>): VerifiedHeader {
  const f = headerFields(chain.blocks[height]!)
  const result = verifyHeader(f.headerHex, f.certificateHex, chain.genesisSet)
  if (!result.ok) throw new Error(result.error.message)
  return result.value
}

function main(): void {
  console.log(`machine: ${machineLine()}`)
  const chain = lightChain()
  const set = chain.genesisSet
  const rows: [string, string][] = []

  const cert = chain.blocks[1]!.certificate!
  const seal = cert.signatures[0]![1]
  const f1 = headerFields(chain.blocks[1]!)
  const header1 = mustVerify(1, chain)
  // Baseline: one noble verification of a seal over its real digest (valid or not costs the same).
  const baseline = opsPerSecond(() => verifyDigest(seal, header1.blockHash, set[0]!.publicKey))
  rows.push(['baseline: noble secp256k1 verify ops/s', fmt(baseline)])

  const certRate = opsPerSecond(() => verifyHeader(f1.headerHex, f1.certificateHex, set))
  rows.push([
    'header + certificate (4 validators, 3 seals; decode, hash, verify) ops/s',
    fmt(certRate),
  ])

  const entries = Array.from({ length: STATE_ENTRIES }, (_, i) => ({
    key: utf8(`bench-key-${i}`),
    value: utf8(`bench-value-${i}`),
  }))
  const tree = buildTree(entries)
  const root = tree.root()
  const proofs = entries.slice(0, 256).map((e) => encodeStateProof(tree.prove(e.key)))
  let i = 0
  const stateRate = opsPerSecond(() => {
    const k = i++ % proofs.length
    return verifyEncodedStateProof(root, entries[k]!.key, entries[k]!.value, proofs[k]!)
  })
  rows.push([
    `state proof (${fmt(STATE_ENTRIES)}-entry tree, decode + verify) ops/s`,
    fmt(stateRate),
  ])

  const tx = chain.blocks[1]!.txs[2]!
  const view = txView(chain, toHex(tx.txId))!
  const txRate = opsPerSecond(() => verifyTxInclusion(header1, tx.txId, view))
  rows.push([
    'tx inclusion (decode, tx signature, tx + receipt proofs; 3-tx block) ops/s',
    fmt(txRate),
  ])

  const leaves = Array.from({ length: BLOCK_TXS }, (_, n) => sha256(utf8(`tx-${n}`)))
  const txRoot = merkleRoot(leaves)
  const leafProofs = leaves.slice(0, 128).map((_, n) => merkleProof(leaves, n))
  let j = 0
  const merkleRate = opsPerSecond(() => {
    const n = j++ % leafProofs.length
    return verifyMerkleProof(txRoot, leaves[n]!, leafProofs[n]!)
  })
  rows.push([`tx Merkle proof alone (${fmt(BLOCK_TXS)}-tx block) ops/s`, fmt(merkleRate)])

  const head = mustVerify(3, chain)
  const balances = balancesView(chain, toHex(alice.address))
  const balanceRate = opsPerSecond(() =>
    verifyBalanceEntries(head, alice.address, balances.entries),
  )
  rows.push([
    `balances (${balances.entries.length} proven entries, recomputed) ops/s`,
    fmt(balanceRate),
  ])
  rows.push(['header + certificate cost in noble verifications', (baseline / certRate).toFixed(2)])
  printTable('Light client', rows)
}

main()
