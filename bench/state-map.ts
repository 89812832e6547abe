/**
 * In-memory state benchmark (issue #9, acceptance 5): what a state read costs with a thousand and
 * with a million balances in the state. Every tx looks up its replay-index key (absent, as a rule)
 * at the mempool's door and again in execution, and reads its sender's and recipient's balances.
 * Each size is built in the same run with the same 40,000 replay-index keys (a busy replay window)
 * and the same probes, so the 1 k row is the baseline of the 1 M row on this machine.
 * Run: `npm run bench:state-map` (about 20 s).
 */
import { keys } from '../src/vm/keys.ts'
import { MemoryState } from '../src/vm/memory-state.ts'
import { compareBytes } from '../src/util/bytes.ts'
import { fmt, machineLine, median } from './harness.ts'

const SIZES = [1_000, 1_000_000] as const
const REPLAY_KEYS = 40_000
const PROBES = 200_000
const ROUNDS = 5
/** Balances read per round: a busy set of 1,000 accounts, read over and over. */
const HOT_ACCOUNTS = 1_000
const BALANCE = new Uint8Array([0x92, 0xcd, 0x03, 0xe8, 0x00])
const EXPIRY_HEIGHT = 1_000

function address(i: number): Uint8Array {
  const a = new Uint8Array(20)
  new DataView(a.buffer).setUint32(0, Math.imul(i, 0x9e3779b1) >>> 0)
  new DataView(a.buffer).setUint32(16, i)
  return a
}

function txId(i: number): Uint8Array {
  const t = new Uint8Array(32)
  new DataView(t.buffer).setUint32(0, Math.imul(i, 0x85ebca6b) >>> 0)
  new DataView(t.buffer).setUint32(28, i)
  return t
}

function applySorted(state: MemoryState, writes: { key: Uint8Array; value: Uint8Array }[]): void {
  writes.sort((a, b) => compareBytes(a.key, b.key))
  state.apply(writes)
}

function buildState(balances: number): MemoryState {
  const state = new MemoryState()
  const chunk = 50_000
  for (let from = 0; from < balances; from += chunk) {
    const writes = []
    for (let i = from; i < Math.min(balances, from + chunk); i++) {
      writes.push({ key: keys.balance(address(i), 'UNI'), value: BALANCE })
    }
    applySorted(state, writes)
  }
  const replay = []
  for (let i = 0; i < REPLAY_KEYS; i++) {
    replay.push({ key: keys.txId(EXPIRY_HEIGHT, txId(i)), value: new Uint8Array([1]) })
  }
  applySorted(state, replay)
  return state
}

/** Median µs per `get` over `probes` across ROUNDS rounds; throws unless all or none were found. */
function timeReads(
  state: MemoryState,
  probes: readonly Uint8Array[],
  expectFound: boolean,
): number {
  const perCall: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const started = performance.now()
    let found = 0
    for (const key of probes) if (state.get(key) !== undefined) found++
    perCall.push(((performance.now() - started) * 1000) / probes.length)
    if (found !== (expectFound ? probes.length : 0)) throw new Error(`found ${found}`)
  }
  return median(perCall)
}

console.log('## In-memory state reads by state size (`npm run bench:state-map`)\n')
console.log(machineLine())
console.log(
  `command: npm run bench:state-map; ${fmt(REPLAY_KEYS)} replay-index keys in each state\n`,
)
const absentProbes = Array.from({ length: PROBES }, (_, i) =>
  keys.txId(EXPIRY_HEIGHT, txId(REPLAY_KEYS + i)),
)
const balanceProbes = Array.from({ length: PROBES }, (_, i) =>
  keys.balance(address(i % HOT_ACCOUNTS), 'UNI'),
)
const rows: [number, number, number][] = []
for (const size of SIZES) {
  const state = buildState(size)
  rows.push([size, timeReads(state, absentProbes, false), timeReads(state, balanceProbes, true)])
}
console.log(
  '| balances in the state | absent replay-index key, µs | balance of a busy account, µs |',
)
console.log('|---:|---:|---:|')
for (const [size, absent, balance] of rows) {
  console.log(`| ${fmt(size)} | ${absent.toFixed(3)} | ${balance.toFixed(3)} |`)
}
const [small, large] = rows
console.log(
  `\n1 M ÷ 1 k: absent replay-index key ${(large![1] / small![1]).toFixed(2)}×, ` +
    `busy balance ${(large![2] / small![2]).toFixed(2)}×`,
)
