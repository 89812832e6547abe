/**
 * Goal: stopping a node is idempotent. A fatal failure can ask a node to stop while it is already
 * stopping (a verifier pool that fails also fails the driver's batch in flight); a second `stop()`
 * must wait for the first, not run the closers again or in another order.
 * Method: one real validator started in-process (test/support/live-node.ts); two `stop()` calls
 * at once, then a third after they settled; the LevelDB stores must be closed exactly once (a store
 * closed twice, or used after close, throws), and the node must not answer HTTP any more.
 */
import { describe, expect, it } from 'vitest'
import { startLiveNode } from '../../support/live-node.ts'

describe('PointsNode.stop', () => {
  it('is idempotent: concurrent and later calls share the first stop', async () => {
    const live = await startLiveNode(50)
    const url = live.node.apiUrl
    expect((await fetch(`${url}/health`)).status).toBe(200)
    const first = live.node.stop()
    const second = live.node.stop()
    expect(second).toBe(first)
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined])
    await expect(live.node.stop()).resolves.toBeUndefined()
    await expect(fetch(`${url}/health`)).rejects.toThrow()
    await live.stop() // removes the data dir (its stop() is the same shared promise)
  })
})
