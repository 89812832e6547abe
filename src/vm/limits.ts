/**
 * Named limits of the points state machine. Changing any of them is a protocol change: every node
 * of a chain must agree on them. Spec: docs/protocol/vm.md#limits.
 */

/** Most expired lots burned at the start of one block; the rest carries over, in order. */
export const EXPIRY_BURNS_PER_BLOCK_MAX = 10_000
/** Most lots (distinct expiry times) one holder keeps of one point type. */
export const LOTS_PER_HOLDER_MAX = 256
/** Most open orders in one market's book. */
export const ORDERS_PER_MARKET_MAX = 10_000
/** Most markets on a chain. */
export const MARKETS_MAX = 1_000
/** Most good-till-expired orders released at the end of one block; the rest carries over. */
export const ORDER_RELEASES_PER_BLOCK_MAX = 10_000
/** Most replay-index entries pruned at the start of one block; the rest carries over. */
export const TXID_PRUNES_PER_BLOCK_MAX = 20_000
/** Most operators, oracles, initial enterprises, point types or balances in a genesis. */
export const GENESIS_LIST_MAX = 100_000
/**
 * Most balance entries in a genesis: a consortium migrating an existing loyalty programme starts
 * with its members' balances (issue #9 measures throughput with 1 M funded accounts).
 */
export const GENESIS_BALANCES_MAX = 1_000_000
/** Most events one tx or block phase emits. */
export const EVENTS_PER_TX_MAX = 64
/** Most attributes of one event. */
export const EVENT_ATTRIBUTES_MAX = 16
/**
 * Largest value of a point type's running `issued` and `burned` counters (their u64 encoding).
 * They only grow, so issue-and-redeem churn reaches it although the outstanding supply stays
 * within AMOUNT_MAX: a mint past it fails with TX_AMOUNT_OVERFLOW.
 */
export const SUPPLY_COUNTER_MAX = (1n << 64n) - 1n
/** Lot expiry of points that never expire (sorts after every real time). */
export const NEVER_EXPIRES = (1n << 64n) - 1n
/** The universal point type's rate to itself: 1.0 in RATE_DECIMALS fixed point. */
export const RATE_ONE = 1_000_000_000n
