/**
 * A bounded client load for multi-process tests: funded senders submit signed UNI transfers to the
 * live nodes over HTTP (POST /v1/txs), and a checker learns which txs are committed the way any
 * client can through that route: re-submitting a tx answers 409 TX_DUPLICATE "already committed"
 * once the node has it in its ledger. `verifyLedgers` then opens every stopped node's LevelDB and
 * checks that each tx the client saw committed is there and that the balances equal the genesis
 * funding plus the committed transfers.
 */
import { join } from 'node:path'
import { keyPairOf, type KeyPair } from '../../src/client/keys.ts'
import { signedTx } from '../../src/client/tx-builder.ts'
import { Ledger } from '../../src/ledger/ledger.ts'
import { openLevelKvStore } from '../../src/ledger/kv-level.ts'
import { buildTree } from '../../src/state/tree.ts'
import { fromHex, toHex } from '../../src/util/bytes.ts'
import { MemoryState } from '../../src/vm/memory-state.ts'
import { readBalance } from '../../src/vm/queries.ts'
import { getJson, type Health, type NodeProcess } from './cluster.ts'

/** Genesis UNI of every sender. */
export const SENDER_FUNDS = 10_000_000n

/** One submitted transfer. */
interface Transfer {
  readonly txId: string
  readonly hex: string
  readonly from: number
  readonly to: number
  readonly amount: bigint
  readonly submittedMs: number
}

/** Deterministic keys: senders are funded in genesis, recipients start empty. */
export function loadAccounts(
  senders = 4,
  recipients = 4,
): { senders: KeyPair[]; recipients: KeyPair[] } {
  const key = (n: number) => keyPairOf(fromHex((0x1000 + n).toString(16).padStart(64, '0')))
  return {
    senders: Array.from({ length: senders }, (_, i) => key(i)),
    recipients: Array.from({ length: recipients }, (_, i) => key(100 + i)),
  }
}

/** `--fund` entries for `loadAccounts()`'s senders. */
export function fundingOf(senders: readonly KeyPair[]): string[] {
  return senders.map((k) => `${k.addressHex}:${SENDER_FUNDS}`)
}

async function post(url: string, hex: string): Promise<{ status: number; message: string }> {
  const res = await fetch(`${url}/v1/txs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ tx: hex }),
    signal: AbortSignal.timeout(5_000),
  })
  const body = (await res.json()) as { error?: { code: string; message: string } }
  return {
    status: res.status,
    message: body.error ? `${body.error.code} ${body.error.message}` : '',
  }
}

/** The load generator and commit checker. */
export class Load {
  readonly transfers = new Map<string, Transfer>()
  /** Txs a client saw committed (answered "already committed" by some node). */
  readonly seenCommitted = new Set<string>()
  /** Submissions answered 202. */
  accepted = 0
  /** Submissions that failed (node down, connection reset): the client does not know the outcome. */
  unknown = 0
  readonly #nodes: readonly NodeProcess[]
  readonly #down = new Set<NodeProcess>()
  readonly #accounts = loadAccounts()
  #running = false
  #loops: Promise<void>[] = []
  #counter = 0
  #picks = 0

  constructor(nodes: readonly NodeProcess[]) {
    this.#nodes = nodes
  }

  /** Marks a node as down (before killing it) or up (after it restarted). */
  setDown(node: NodeProcess, down: boolean): void {
    if (down) this.#down.add(node)
    else this.#down.delete(node)
  }

  #live(): NodeProcess[] {
    return this.#nodes.filter((n) => !this.#down.has(n) && n.apiUrl !== '')
  }

  #pick(): NodeProcess | undefined {
    const live = this.#live()
    return live[this.#picks++ % Math.max(1, live.length)]
  }

  /** Starts `submitters` submit loops (each waits `pauseMs` between txs) and one checker loop. */
  start(submitters = 2, pauseMs = 40): void {
    this.#running = true
    for (let i = 0; i < submitters; i++) this.#loops.push(this.#submitLoop(pauseMs))
    this.#loops.push(this.#checkLoop())
  }

  /** Stops the loops and waits for them. */
  async stop(): Promise<void> {
    this.#running = false
    await Promise.all(this.#loops)
    this.#loops = []
  }

  async #submitLoop(pauseMs: number): Promise<void> {
    let expiresAtHeight = 0
    for (let i = 0; this.#running; i++) {
      const node = this.#pick()
      if (node) {
        try {
          if (expiresAtHeight === 0 || i % 50 === 0) {
            expiresAtHeight = (await getJson<Health>(`${node.apiUrl}/health`)).height + 600
          }
          await this.#submitOne(node, expiresAtHeight)
        } catch {
          this.unknown++
        }
      }
      await new Promise((r) => setTimeout(r, pauseMs))
    }
  }

  async #submitOne(node: NodeProcess, expiresAtHeight: number): Promise<void> {
    const n = this.#counter++
    const from = n % this.#accounts.senders.length
    const to = (n >> 2) % this.#accounts.recipients.length
    const amount = BigInt(1 + (n % 97))
    const tx = signedTx(
      this.#accounts.senders[from]!,
      'points.transfer',
      { pointType: 'UNI', to: this.#accounts.recipients[to]!.address, amount },
      { chainId: 'e2e-chain', expiresAtHeight },
    )
    const txId = toHex(tx.txId)
    const hex = toHex(tx.signedBytes)
    this.transfers.set(txId, { txId, hex, from, to, amount, submittedMs: Date.now() })
    const { status, message } = await post(node.apiUrl, hex)
    if (status === 202) this.accepted++
    else throw new Error(`submit: ${status} ${message}`)
  }

  async #checkLoop(): Promise<void> {
    while (this.#running) {
      await this.checkOnce(64)
      await new Promise((r) => setTimeout(r, 250))
    }
  }

  /**
   * Re-submits up to `max` txs not yet seen committed to live nodes; "already committed" marks a
   * tx as seen committed. (A tx the node lost is pooled again, as a retrying client would do.)
   */
  async checkOnce(max: number): Promise<void> {
    const due = [...this.transfers.values()]
      .filter((t) => !this.seenCommitted.has(t.txId) && Date.now() - t.submittedMs > 300)
      .slice(0, max)
    for (const t of due) {
      const node = this.#pick()
      if (!node) return
      try {
        const { status, message } = await post(node.apiUrl, t.hex)
        if (status === 409 && message === 'TX_DUPLICATE already committed') {
          this.seenCommitted.add(t.txId)
        }
      } catch {
        // The node went down meanwhile: ask another one next time.
      }
    }
  }
}

/** What one node's ledger holds about the load. */
export interface LedgerView {
  readonly height: number
  readonly stateRoot: string
  /** Transfers committed, by txId → "height:index". */
  readonly committed: Map<string, string>
  /** UNI balances of senders then recipients. */
  readonly balances: bigint[]
}

/** Opens a stopped node's ledger and reads the load's txs and accounts from it. */
export async function readLedger(node: NodeProcess, load: Load): Promise<LedgerView> {
  const kv = await openLevelKvStore(join(node.home, 'data', 'ledger'))
  try {
    // The integrity check reads the whole state once: keep it for the balances below.
    const state = new MemoryState()
    const ledger = await Ledger.open(kv, {
      computeStateRoot: (entries) => {
        state.apply(entries)
        return buildTree(entries).root()
      },
    })
    const head = ledger.head
    if (!head) throw new Error(`${node.home}: empty ledger`)
    const committed = new Map<string, string>()
    for (const t of load.transfers.values()) {
      const at = await ledger.loadTxLocation(fromHex(t.txId))
      if (at) committed.set(t.txId, `${at.height}:${at.index}`)
    }
    const { senders, recipients } = loadAccounts()
    const balances = [...senders, ...recipients].map((k) => readBalance(state, k.address, 'UNI'))
    return { height: head.height, stateRoot: toHex(head.stateRoot), committed, balances }
  } finally {
    await kv.close()
  }
}

/** The balances implied by the genesis funding and the committed transfers (senders, recipients). */
export function expectedBalances(load: Load, committed: ReadonlyMap<string, string>): bigint[] {
  const { senders, recipients } = loadAccounts()
  const out = [...senders.map(() => SENDER_FUNDS), ...recipients.map(() => 0n)]
  for (const txId of committed.keys()) {
    const t = load.transfers.get(txId)!
    out[t.from]! -= t.amount
    out[senders.length + t.to]! += t.amount
  }
  return out
}
