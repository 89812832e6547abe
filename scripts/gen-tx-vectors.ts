/**
 * Writes test/vectors/tx-vectors.json: the canonical encoding, txId and signature of one tx of every
 * kind (all optional fields set, and minimal), signed by fixed keys. Run once when the format is
 * introduced; afterwards the vectors are frozen and a change to them is a consensus break that needs
 * an ADR (STYLE.md section 3). Usage: node --import tsx scripts/gen-tx-vectors.ts
 */
import { writeFileSync } from 'node:fs'
import { TX_KINDS } from '../src/core/tx.ts'
import { signTx } from '../src/crypto/tx-signature.ts'
import { toHex } from '../src/util/bytes.ts'
import { sampleTx, testKey } from '../test/support/fixtures.ts'

const signers = ['alice', 'operator', 'acme']
const vectors = TX_KINDS.flatMap((kind, i) =>
  [true, false].map((full) => {
    const label = signers[i % signers.length]!
    const key = testKey(label)
    const signed = signTx(sampleTx(kind, key, full), key.secretKey)
    return {
      kind,
      full,
      signerLabel: label,
      secretKey: toHex(key.secretKey),
      publicKey: toHex(key.publicKey),
      txBytes: toHex(signed.txBytes),
      txId: toHex(signed.txId),
      signature: toHex(signed.signature),
      signedBytes: toHex(signed.signedBytes),
    }
  }),
)
const doc = {
  description:
    'Golden vectors: canonical tx encoding, txId = sha256("pointsnode/tx" || txBytes), ' +
    'RFC 6979 low-S compact signature over txId. Frozen: changing one is a consensus break.',
  vectors,
}
writeFileSync(
  new URL('../test/vectors/tx-vectors.json', import.meta.url),
  JSON.stringify(doc, null, 2) + '\n',
)
console.log(`wrote ${vectors.length} vectors`)
