/**
 * Named limits of the protocol. Changing any of them is a protocol change: every node of a chain
 * must agree on them. Spec: docs/protocol/encoding.md#limits.
 */

/** Largest encoded transaction (unsigned tuple), in bytes. */
export const TX_BYTES_MAX = 8192
/** Largest encoded signed transaction envelope `[txBytes, signature]`, in bytes. */
export const SIGNED_TX_BYTES_MAX = TX_BYTES_MAX + 96
/** A tx is valid only while `height ≤ expiresAtHeight ≤ height + TX_TTL_BLOCKS_MAX`. */
export const TX_TTL_BLOCKS_MAX = 1200
/** Salt bytes (any value; lets one key submit identical bodies as distinct txs). */
export const SALT_BYTES_MAX = 32
/** Chain ids: short printable identifiers. */
export const CHAIN_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/
/** Point type symbols: upper-case, digits, dot, dash, underscore. */
export const SYMBOL_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,15}$/
/** Human-readable names (enterprise, point type). */
export const NAME_LENGTH_MAX = 64
/** References (voucher ref, order ref, rate source). */
export const REF_LENGTH_MAX = 128
/** Encrypted voucher detail (ciphertext with its header). */
export const VOUCHER_DETAIL_BYTES_MAX = 4096
/** Decimals of a point type: minor units per whole unit are 10^decimals. */
export const DECIMALS_MAX = 18
/** Market price decimals: 1 tick = 10^-priceDecimals quote per base unit. */
export const PRICE_DECIMALS_MAX = 12
/** Rates are fixed-point with this many decimals: `rate = 1.25` is `1_250_000_000n`. */
export const RATE_DECIMALS = 9
/** Largest amount of one tx or balance (2^63 − 1), so that sums stay inside int64 encodings. */
export const AMOUNT_MAX = (1n << 63n) - 1n
/** Largest supported UNIX time in milliseconds carried in blocks and lots (year 2286). */
export const TIME_MS_MAX = 9_999_999_999_999n
/** Largest expiry lifetime of a point type, in seconds (100 years). */
export const EXPIRY_SECONDS_MAX = 3_153_600_000n
/** Heights are uint32. */
export const HEIGHT_MAX = 0xffff_ffff
