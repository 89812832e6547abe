/**
 * crypto: secp256k1 keys, addresses and low-S signatures on noble, tx signing and the state-free
 * door check, the Verifier interface (the fast libsecp256k1 pool lives in src/node/), voucher boxes.
 * Must not import: Node built-ins (node:crypto included), I/O libraries, layers above the pure core.
 */
export * from './secp256k1.ts'
export * from './tx-signature.ts'
export * from './verifier.ts'
export * from './voucher-box.ts'
