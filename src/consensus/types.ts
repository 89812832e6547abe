/**
 * Events the consensus engine handles and effects it asks its driver to run, plus its parameters.
 * Spec: docs/protocol/consensus.md#engine; STYLE.md section 2.
 *
 * The driver runs the effects of one `handle` call in order. A `persist` must be durable (fsync)
 * before the driver runs any later effect of the same call: the broadcasts that follow depend on it.
 */
import type { Block, CommitCertificate, Validator } from '../core/block.ts'
import type { ConsensusApp } from './app.ts'
import type {
  ConsensusMessage,
  ProposalMessage,
  RoundChangeMessage,
  SignedVote,
  Signer,
  VerifyDigest,
} from './messages.ts'
import type { ValidatorUpdate } from './validators.ts'
import type { WalRecord } from './wal.ts'

/** Timer steps: `propose` (the round-0 proposer's block interval) and `round` (round timer). */
export type TimeoutStep = 'propose' | 'round'

/** An input to the engine. `now` is the driver's clock in UNIX milliseconds. */
export type ConsensusEvent =
  | { readonly type: 'start'; readonly now: bigint }
  | { readonly type: 'proposal'; readonly message: ProposalMessage; readonly now: bigint }
  | { readonly type: 'vote'; readonly vote: SignedVote; readonly now: bigint }
  | { readonly type: 'roundChange'; readonly message: RoundChangeMessage; readonly now: bigint }
  | {
      readonly type: 'timeout'
      readonly height: number
      readonly round: number
      readonly step: TimeoutStep
      readonly now: bigint
    }
  | {
      readonly type: 'txsAvailable'
      readonly now: bigint
      /**
       * The pool holds at least a full proposal: the round-0 proposer proposes now instead of
       * waiting out the rest of `blockIntervalMs` (the interval is for filling a block). In a
       * call that decided (from buffered messages) the event is ignored: the driver sends
       * another after the commit.
       */
      readonly full?: boolean
    }
  | {
      readonly type: 'certifiedBlock'
      readonly block: Block
      readonly certificate: CommitCertificate
      readonly now: bigint
    }

/** An action for the driver. */
export type Effect =
  | { readonly type: 'persist'; readonly record: WalRecord }
  | { readonly type: 'broadcast'; readonly message: ConsensusMessage }
  | { readonly type: 'send'; readonly to: Uint8Array; readonly message: ConsensusMessage }
  | {
      readonly type: 'scheduleTimeout'
      readonly height: number
      readonly round: number
      readonly step: TimeoutStep
      readonly delayMs: number
    }
  | {
      readonly type: 'commitBlock'
      readonly block: Block
      readonly certificate: CommitCertificate
      /** Validator updates of this block; they take effect at `height + 2`. */
      readonly validatorUpdates: readonly ValidatorUpdate[]
    }

/** Timer settings, in milliseconds. */
export interface TimeoutConfig {
  /** Round r lasts `min(roundBaseMs × 2^r, roundMaxMs)`. */
  readonly roundBaseMs: number
  readonly roundMaxMs: number
  /**
   * How long the round-0 proposer waits after the previous block before proposing, at most: a
   * `txsAvailable` event with `full` set ends the wait early.
   */
  readonly blockIntervalMs: number
  /**
   * When false, the round-0 proposer proposes only once the driver signals `txsAvailable`
   * (otherwise an empty block follows at round 1 after the round-0 timeout).
   */
  readonly createEmptyBlocks: boolean
}

/** Where the chain stands when the engine starts: the last committed block and the next sets. */
export interface ChainSnapshot {
  /** The last committed block (the genesis block, height 0, on a new chain). */
  readonly lastBlock: Block
  /** Its certificate (`null` for genesis). */
  readonly lastCertificate: CommitCertificate | null
  /** The validator set of the last committed height (genesis: the first set). */
  readonly lastValidators: readonly Validator[]
  /** The validator set of `lastBlock.height + 1`. */
  readonly validators: readonly Validator[]
  /** The validator set of `lastBlock.height + 2`. */
  readonly nextValidators: readonly Validator[]
}

/** Everything the engine is built from. */
export interface ConsensusParams {
  readonly chainId: string
  readonly signer: Signer
  readonly verify: VerifyDigest
  readonly app: ConsensusApp
  readonly timeouts: TimeoutConfig
  readonly chain: ChainSnapshot
  /** WAL records (any heights; those below the next height are ignored). */
  readonly wal: readonly WalRecord[]
}

/** Timer of round `round`: `min(base × 2^round, max)`, computed without overflow. */
export function roundTimeoutMs(config: TimeoutConfig, round: number): number {
  let ms = config.roundBaseMs
  for (let i = 0; i < round && ms < config.roundMaxMs; i++) ms *= 2
  return Math.min(ms, config.roundMaxMs)
}
