/**
 * Goal (issue #7 acceptance item 2, long run: `npm run test:e2e-long`): the kill/restart scenario
 * of kill-restart.quick.test.ts repeated twenty times on one cluster under a steady load.
 * Method: as the quick test (test/support/kill-restart.ts); vitest project `e2e`, run serially.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { destroyCluster, type Cluster } from '../support/cluster.ts'
import { killRestartUnderLoad, startLoadCluster } from '../support/kill-restart.ts'

let cluster: Cluster | undefined
beforeAll(async () => {
  cluster = await startLoadCluster()
}, 400_000)
afterAll(async () => {
  if (cluster) await destroyCluster(cluster)
})

describe('kill -9 and restart under load (long)', () => {
  it('twenty cycles: three keep committing, the restarted one catches up and agrees, no seen tx lost', async () => {
    const timings = await killRestartUnderLoad(cluster!, 20)
    console.info('kill/restart long:', JSON.stringify(timings))
    expect(timings.cycleMs).toHaveLength(20)
  }, 1_200_000)
})
