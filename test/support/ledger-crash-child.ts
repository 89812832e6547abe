/**
 * Child process of the ledger crash test (test/e2e/ledger-crash.quick.test.ts). It starts, prints
 * `started`, and waits for a `go` line on stdin (so the parent can start the next child while it
 * checks the store after the previous kill). Then it opens the LevelDB
 * ledger at argv[2] (integrity check included), writes genesis when the store is empty, then commits
 * blocks of `TestChain`-style random txs forever, printing `ready <height>` once open and
 * `committed <height>` after each commit's synced batch resolved. The parent kills it with SIGKILL.
 * Write sets are derived from the tx ids, so the parent can replay the stored blocks independently.
 */
import '../../src/polyfills.ts'
import { openLevelKvStore } from '../../src/ledger/kv-level.ts'
import { Ledger } from '../../src/ledger/ledger.ts'
import { FileCommitWitness } from '../../src/ledger/witness.ts'
import {
  hashChainStateRootStandIn,
  ModelState,
  seededRandom,
  TEST_GENESIS_HASH,
  testCertificate,
  testHeader,
  testSignedTx,
  TEST_TIME0,
  txIdsOf,
  writeSetFromTxIds,
} from './ledger-fixtures.ts'

const BLOCKS_PER_RUN_MAX = 100_000

/** Resolves when stdin delivers a line `go`. */
function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    let text = ''
    process.stdin.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8')
      if (text.includes('go\n')) resolve()
    })
  })
}

async function main(): Promise<void> {
  const [path, seedText] = process.argv.slice(2)
  if (!path || !seedText) throw new Error('usage: ledger-crash-child <dbPath> <seed>')
  process.stdout.write('started\n')
  await waitForGo()
  const witness = new FileCommitWitness(`${path}.witness`)
  const ledger = await Ledger.open(await openLevelKvStore(path), {
    computeStateRoot: hashChainStateRootStandIn,
    witness,
  })
  if (ledger.head === null) {
    await ledger.initGenesis({
      genesisHash: TEST_GENESIS_HASH,
      writeSet: [],
      stateRoot: hashChainStateRootStandIn([]),
    })
  }
  const model = new ModelState()
  for await (const entry of ledger.loadState())
    model.map.set(Buffer.from(entry.key).toString('hex'), entry)
  const random = seededRandom(Number(seedText))
  process.stdout.write(`ready ${ledger.head!.height}\n`)
  for (let i = 0; i < BLOCKS_PER_RUN_MAX; i++) {
    const head = ledger.head!
    const height = head.height + 1
    const txCount = 1 + Math.floor(random() * 40)
    const txs = Array.from({ length: txCount }, (_, j) =>
      testSignedTx(`crash/${seedText}/${height}/${j}`),
    )
    const txIds = txIdsOf({ header: testHeader(height, head.blockHash, 0n, head.stateRoot), txs })
    const writeSet = writeSetFromTxIds(txIds)
    model.apply(writeSet)
    const header = testHeader(
      height,
      head.blockHash,
      TEST_TIME0 + BigInt(height) * 1000n,
      model.root(),
    )
    const history = txIds.map((txId, index) => ({
      address: txId.slice(0, 20),
      txId,
      height,
      index,
      kind: 'account.register',
    }))
    await ledger.commitBlock({
      block: { header, txs },
      certificate: testCertificate(header),
      writeSet,
      burns: [],
      indexEntries: { history, issuances: [], rates: [], auctions: [], stats: [] },
    })
    process.stdout.write(`committed ${height}\n`)
  }
  await ledger.close()
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  )
  process.exit(1)
})
