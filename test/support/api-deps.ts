/**
 * The smallest `ApiDeps` for tests of the HTTP layer alone (static files, rate limits): a node at
 * height 1 with no read model whose mempool refuses every tx (`MEMPOOL_FULL`).
 */
import { Registry } from 'prom-client'
import type { ApiDeps } from '../../src/api/build-api.ts'
import { err } from '../../src/util/result.ts'

/** The quiet node's dependencies, with `extra` on top. */
export function quietApiDeps(extra: Partial<ApiDeps> = {}): ApiDeps {
  return {
    chainId: 'pointsnode-test',
    metrics: new Registry(),
    health: () => ({
      height: 1,
      inSync: true,
      chainId: 'pointsnode-test',
      peers: 0,
      blockHash: 'aa',
      stateRoot: 'bb',
      mempoolTxs: 0,
    }),
    submitTx: () => Promise.resolve(err({ code: 'MEMPOOL_FULL', message: 'full' })),
    ...extra,
  }
}
