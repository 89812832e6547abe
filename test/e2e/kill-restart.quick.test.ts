/**
 * Goal (issue #7 acceptance item 2, default suite): under a steady client load, a validator killed
 * with SIGKILL does not stop the other three; restarted, it catches up by sync and agrees on height,
 * block and state root; no tx the client saw committed is lost — five times in a row.
 * Method: four real `bin/pointsnode start` processes with funded accounts in genesis; a bounded load
 * loop submits signed transfers over HTTP; at the end the stopped nodes' ledgers are read
 * (test/support/kill-restart.ts). Processes and temp homes are removed even when the test fails.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { destroyCluster, type Cluster } from '../support/cluster.ts'
import { killRestartUnderLoad, startLoadCluster } from '../support/kill-restart.ts'

let cluster: Cluster | undefined
beforeAll(async () => {
  cluster = await startLoadCluster()
}, 400_000)
afterAll(async () => {
  if (process.env['E2E_KEEP_LOGS'] && cluster) {
    for (const n of cluster.nodes) console.error(`==== ${n.home}\n${n.stderr.slice(-6000)}`)
  }
  if (cluster) await destroyCluster(cluster)
})

describe('kill -9 and restart under load', () => {
  it('five cycles: three keep committing, the restarted one catches up and agrees, no seen tx lost', async () => {
    const timings = await killRestartUnderLoad(cluster!, 5)
    console.info('kill/restart quick:', JSON.stringify(timings))
    expect(timings.cycleMs).toHaveLength(5)
  }, 900_000)
})
