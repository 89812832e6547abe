/**
 * `npm run bench:state`: cost of the authenticated state tree (docs/protocol/state.md) at 10k, 100k
 * and 1M keys: building from scratch (start-up root), applying a block of 1,000 changes (800 updates,
 * 150 inserts, 50 deletes; includes the new root), proof generation and verification per second.
 * Baseline measured in the same run, per size: raw sha256 calls per second on an 86-byte input (the size of a
 * node hash input), so that the tree's numbers can be read as "hashes per operation" on a busy machine.
 * With `--expose-gc` (the npm script sets it) also the heap bytes per key and the time of a full
 * collection with the tree live (median of 3): what V8 pays to mark the tree at every full
 * collection of a running node.
 *
 * Usage: node --import tsx bench/state-tree.ts [sizes…]   (default: 10000 100000 1000000)
 */
import { sha256 } from '@noble/hashes/sha2.js'
import os from 'node:os'
import { verifyStateProof } from '../src/client/state-proof.ts'
import { encodeStateProof } from '../src/codec/state-proof.ts'
import type { StateChange, StateEntry } from '../src/core/state.ts'
import { buildTree, type StateTree } from '../src/state/index.ts'
import { compareBytes } from '../src/util/bytes.ts'
import { median } from './harness.ts'

const BLOCK_CHANGES = 1000
const BLOCKS = 5
const PROOFS = 2000

function keyOf(i: number): Uint8Array {
  const key = new Uint8Array(9)
  key.set([0x61, 0x63, 0x63, 0x74, 0x2f]) // "acct/"
  new DataView(key.buffer).setUint32(5, i)
  return key
}

function valueOf(i: number, version: number): Uint8Array {
  const value = new Uint8Array(16)
  const view = new DataView(value.buffer)
  view.setUint32(0, i)
  view.setUint32(4, version)
  return value
}

function* entries(n: number): Generator<StateEntry> {
  for (let i = 0; i < n; i++) yield { key: keyOf(i), value: valueOf(i, 0) }
}

/**
 * Block `b`: 800 updates of existing keys spread over the key space, 150 inserts of new keys and 50
 * deletes of existing keys (distinct across blocks), sorted by key.
 */
function block(n: number, b: number): StateChange[] {
  const changes: StateChange[] = []
  const stride = Math.floor(n / BLOCK_CHANGES)
  for (let j = 0; j < 800; j++)
    changes.push({ key: keyOf(j * stride + b), value: valueOf(j, b + 1) })
  for (let j = 0; j < 150; j++) changes.push({ key: keyOf(n + b * 150 + j), value: valueOf(j, 1) })
  for (let j = 0; j < 50; j++) changes.push({ key: keyOf(n - 1 - b * 50 - j), value: null })
  return changes.sort((x, y) => compareBytes(x.key, y.key))
}

function sha256Rate(): number {
  const input = new Uint8Array(86)
  const count = 200_000
  const start = performance.now()
  for (let i = 0; i < count; i++) {
    input[0] = i & 255
    sha256(input)
  }
  return count / ((performance.now() - start) / 1000)
}

interface Row {
  n: number
  hashRate: number
  buildMs: number
  heapBytesPerKey: number
  blockMs: number
  proveRate: number
  verifyRate: number
  proofBytes: number
  depth: number
  /** A full collection with the tree live, ms (median of `GC_TIMINGS`); NaN without `gc`. */
  gcMs: number
}

const GC_TIMINGS = 3

/** The median time of a full collection (`gc()`), ms; NaN when `gc` is not exposed. */
function fullCollectionMs(gc: (() => void) | undefined): number {
  if (gc === undefined) return NaN
  const times: number[] = []
  for (let i = 0; i < GC_TIMINGS; i++) {
    const start = performance.now()
    gc()
    times.push(performance.now() - start)
  }
  return median(times)
}

function measureProofs(
  tree: StateTree,
  n: number,
): Pick<Row, 'proveRate' | 'verifyRate' | 'proofBytes' | 'depth'> {
  const keys = Array.from({ length: PROOFS }, (_, i) => keyOf((i * 7919) % n))
  let start = performance.now()
  const proofs = keys.map((key) => tree.prove(key))
  const proveRate = PROOFS / ((performance.now() - start) / 1000)
  const root = tree.root()
  start = performance.now()
  for (let i = 0; i < PROOFS; i++) {
    const res = verifyStateProof(root, keys[i]!, valueOf((i * 7919) % n, 0), proofs[i]!)
    if (!res.ok) throw new Error(`proof ${i} failed: ${res.error.code}`)
  }
  const verifyRate = PROOFS / ((performance.now() - start) / 1000)
  let bytes = 0
  let depth = 0
  for (const p of proofs) {
    bytes += encodeStateProof(p).length
    depth += p.siblings.length
  }
  return { proveRate, verifyRate, proofBytes: bytes / PROOFS, depth: depth / PROOFS }
}

function measure(n: number): Row {
  const gc = (globalThis as { gc?: () => void }).gc
  gc?.()
  const heapBefore = process.memoryUsage().heapUsed
  let start = performance.now()
  const tree = buildTree(entries(n))
  const buildMs = performance.now() - start
  gc?.()
  const heapBytesPerKey = gc ? (process.memoryUsage().heapUsed - heapBefore) / n : NaN
  const times: number[] = []
  let current = tree
  for (let b = 0; b < BLOCKS; b++) {
    const writeSet = block(n, b)
    gc?.() // Steady state: do not charge the block for collecting the build's garbage.
    start = performance.now()
    current = current.update(writeSet)
    current.root()
    times.push(performance.now() - start)
  }
  if (current.size !== n + BLOCKS * 100) throw new Error(`size ${current.size}`)
  gc?.()
  // `tree` stays live for the proofs below (and `current` shares all of it but the blocks' paths):
  // about one tree of n keys.
  const gcMs = fullCollectionMs(gc)
  const hashRate = sha256Rate()
  const proofs = measureProofs(tree, n)
  return { n, hashRate, buildMs, heapBytesPerKey, blockMs: median(times), gcMs, ...proofs }
}

function main(): void {
  const sizes = process.argv.slice(2).map(Number)
  const chosen = sizes.length > 0 ? sizes : [10_000, 100_000, 1_000_000]
  console.log(
    `machine: ${os.cpus().length} cores, Node ${process.version}, load average ${os.loadavg()[0]!.toFixed(2)}, ${new Date().toISOString()}`,
  )
  const hashRate = sha256Rate()
  console.log(
    `baseline: noble sha256 (86-byte input) ${Math.round(hashRate).toLocaleString('en')}/s`,
  )
  // Warm up the JIT on a small tree so that the first size is not penalised.
  measure(2_000)
  const gcBaseline = fullCollectionMs((globalThis as { gc?: () => void }).gc)
  console.log(`baseline: a full collection with no tree live ${gcBaseline.toFixed(1)} ms`)
  const rows = chosen.map((n) => measure(n))
  const table = rows.map((r) => ({
    keys: r.n.toLocaleString('en'),
    'build s': (r.buildMs / 1000).toFixed(2),
    'build µs/key': ((r.buildMs * 1000) / r.n).toFixed(1),
    'heap B/key': Number.isNaN(r.heapBytesPerKey)
      ? 'n/a (--expose-gc)'
      : r.heapBytesPerKey.toFixed(0),
    'block of 1000 ms': r.blockMs.toFixed(1),
    'full GC ms': Number.isNaN(r.gcMs) ? 'n/a' : r.gcMs.toFixed(1),
    'sha256/s (baseline)': Math.round(r.hashRate).toLocaleString('en'),
    'block ≈ sha256 calls': Math.round((r.blockMs / 1000) * r.hashRate).toLocaleString('en'),
    'proofs/s': Math.round(r.proveRate).toLocaleString('en'),
    'verifies/s': Math.round(r.verifyRate).toLocaleString('en'),
    'proof B': r.proofBytes.toFixed(0),
    'avg depth': r.depth.toFixed(1),
  }))
  console.table(table)
  console.log(`load average after: ${os.loadavg()[0]!.toFixed(2)}`)
}

main()
