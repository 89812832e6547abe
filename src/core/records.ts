/**
 * Burn records: the facts settlement is computed from. Spec: SPEC.md sections 4 and 7.
 *
 * Every burn of points (expiry, redemption, conversion) produces one record. Values are given both in
 * the burned type's minor units (`amount`) and in universal-point minor units at the rate in force
 * at that block (`valueUniversal`), so that obligations between enterprises net in one unit.
 */
import { bigint, bytes, literal, nullable, str, struct, u32, type Infer } from '../codec/schema.ts'
import { AMOUNT_MAX, HEIGHT_MAX, REF_LENGTH_MAX, SYMBOL_PATTERN, TIME_MS_MAX } from './limits.ts'

/** Why points were burned. */
export const BURN_REASONS = ['expiry', 'redemption', 'conversion'] as const
/** A burn reason. */
export type BurnReason = (typeof BURN_REASONS)[number]

/** Wire schema of a burn record. */
export const BURN_RECORD_SCHEMA = struct('burn', {
  pointType: str(16, SYMBOL_PATTERN),
  /** Address of the issuer of `pointType` (the operator account for universal points). */
  issuer: bytes(20),
  /** Account whose points were burned. */
  holder: bytes(20),
  amount: bigint(1n, AMOUNT_MAX),
  reason: literal(...BURN_REASONS),
  /** Redemption: the accepting enterprise. Conversion: null (the platform is the counterparty). */
  acceptor: nullable(bytes(20)),
  /** Redemption: the acceptor's order reference. */
  orderRef: nullable(str(REF_LENGTH_MAX)),
  /** Rate of `pointType` to universal points at this block (RATE_DECIMALS fixed point). */
  rate: bigint(0n, AMOUNT_MAX),
  /** `amount` valued in universal minor units at `rate` (floor). */
  valueUniversal: bigint(0n, AMOUNT_MAX),
  /** Conversion: the point type minted in exchange. */
  convertedTo: nullable(str(16, SYMBOL_PATTERN)),
  /** The tx that burned the points; null for expiry burns (done by the block itself). */
  txId: nullable(bytes(32)),
  height: u32(0, HEIGHT_MAX),
  time: bigint(0n, TIME_MS_MAX),
  /** Position of this record within its block (0, 1, ...): with `height`, a unique id. */
  index: u32(),
})

/** A burn record. */
export type BurnRecord = Infer<typeof BURN_RECORD_SCHEMA>
