/**
 * The `Verifier` interface through which the core checks signatures in bulk, and its pure noble
 * implementation. The fast implementation (libsecp256k1 on worker threads) lives in `src/node/`,
 * outside the pure core. Spec: SPEC.md section 6.
 */
import { verifyDigest } from './secp256k1.ts'

/** One signature to check: a compact signature over a domain-tagged digest. */
export interface VerifyJob {
  readonly publicKey: Uint8Array
  /** `sha256(tag ‖ message)`: what was signed. */
  readonly digest: Uint8Array
  readonly signature: Uint8Array
}

/** Verifies batches of signatures; results are in job order. */
export interface Verifier {
  verifyBatch(jobs: readonly VerifyJob[]): Promise<boolean[]>
}

/** The pure noble verifier: synchronous work behind the async interface. */
export const nobleVerifier: Verifier = {
  verifyBatch: (jobs) =>
    Promise.resolve(jobs.map((j) => verifyDigest(j.signature, j.digest, j.publicKey))),
}
