/**
 * `genesis.json` in a node home: the canonical encoding of the genesis document (the source of
 * truth, identical on every member) and a JSON view of it for people. Loading checks both agree.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { decodeCanonical, encodeCanonical } from '../codec/canonical.ts'
import { toJson } from '../codec/json.ts'
import { fromHex, isHex, toHex } from '../util/bytes.ts'
import { NodeError } from '../util/errors.ts'
import { GENESIS_SCHEMA, type Genesis } from '../vm/genesis.ts'

/** File name of the genesis document in a node home. */
export const GENESIS_FILE = 'genesis.json'
/** Largest canonical genesis: 1 M balance entries take about 40 MiB. */
const GENESIS_BYTES_MAX = 64 * 1024 * 1024
const FORMAT = 'pointsnode-genesis/1'

/** Writes `genesis` into `home`. */
export function saveGenesis(home: string, genesis: Genesis): void {
  const canonical = toHex(encodeCanonical(GENESIS_SCHEMA, genesis))
  const body = { format: FORMAT, canonical, view: toJson(genesis) }
  writeFileSync(join(home, GENESIS_FILE), JSON.stringify(body, null, 2) + '\n')
}

/**
 * Loads the genesis of `home`.
 * @throws {NodeError} GENESIS_INVALID when missing, malformed, or when the view disagrees.
 */
export function loadGenesis(home: string): Genesis {
  const path = join(home, GENESIS_FILE)
  let parsed: { format?: unknown; canonical?: unknown; view?: unknown }
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as typeof parsed
  } catch (cause) {
    throw new NodeError('GENESIS_INVALID', `cannot read ${path}`, { cause })
  }
  const hex = parsed.canonical
  if (parsed.format !== FORMAT || typeof hex !== 'string' || !isHex(hex)) {
    throw new NodeError('GENESIS_INVALID', `${path} is not a ${FORMAT} document`)
  }
  const decoded = decodeCanonical(GENESIS_SCHEMA, fromHex(hex), GENESIS_BYTES_MAX)
  if (!decoded.ok) throw new NodeError('GENESIS_INVALID', `${path}: ${decoded.error.message}`)
  if (JSON.stringify(toJson(decoded.value)) !== JSON.stringify(parsed.view)) {
    throw new NodeError('GENESIS_INVALID', `${path}: the view does not match the canonical genesis`)
  }
  return decoded.value
}
