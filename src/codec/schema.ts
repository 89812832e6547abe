/**
 * Declarative shapes for canonical tuples. A `Schema<T>` validates a decoded msgpack value, returns
 * it normalised (plain `Uint8Array` instead of Node `Buffer` views) and types it as `T`.
 *
 * Spec: docs/protocol/encoding.md#types. Each field has exactly one JavaScript type: numbers are
 * uint32 `number`s (msgpackr encodes larger integers as float64, which consensus data must never
 * contain), amounts and times are `bigint` (always encoded as int64/uint64), bytes are `Uint8Array`.
 */
import { assert } from '../util/assert.ts'

/**
 * A shape violation found while checking a decoded value: where and what. `path` is relative to the
 * value that was checked: '' for the value itself, then `.field` and `[i]` steps (the codec puts
 * `$` in front for the whole document).
 */
export interface ShapeFault {
  readonly path: string
  readonly expected: string
}

/** A parse step: the normalised value, or the fault that rejects it. */
export type Parsed<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly fault: ShapeFault }

/**
 * A checker for one JavaScript type, with a description used in docs and errors. `parse` turns a
 * decoded wire value into `T`; `toWire` turns `T` back into the wire value (a struct becomes a
 * tuple); `check` tells whether a wire value has the shape, without building anything (the
 * encoder's assertion). For every `T` the schema accepts, `parse(toWire(t))` gives back `t`.
 *
 * Paths are built on the way out of a failure (a composite puts its step in front of its part's
 * fault), so a value that fits costs no path text.
 */
export interface Schema<T> {
  readonly describe: string
  parse(value: unknown): Parsed<T>
  check(value: unknown): ShapeFault | null
  toWire(value: T): unknown
}

const identity = (value: unknown): unknown => value

/** The TypeScript type a schema accepts. */
export type Infer<S> = S extends Schema<infer T> ? T : never

const U32_MAX = 0xffff_ffff
/** Largest bigint the codec encodes (uint64); larger values would need an extension type. */
export const BIGINT_MAX = (1n << 64n) - 1n
/** Smallest bigint the codec encodes (int64). */
export const BIGINT_MIN = -(1n << 63n)

function good<T>(value: T): Parsed<T> {
  return { ok: true, value }
}

/** `fault` as seen from the enclosing value, whose part at `step` it is. */
export function faultUnder(step: string, fault: ShapeFault): ShapeFault {
  return { path: step + fault.path, expected: fault.expected }
}

/**
 * A leaf schema: a predicate on the wire value and the normalisation of a value that fits. Its
 * fault is one frozen object, shared by every failure.
 */
function scalar<T>(
  describe: string,
  fits: (v: unknown) => boolean,
  normalise: (v: unknown) => T = identity as (v: unknown) => T,
): Schema<T> {
  const fault: ShapeFault = Object.freeze({ path: '', expected: describe })
  const refused: Parsed<T> = Object.freeze({ ok: false, fault })
  return {
    describe,
    toWire: identity,
    parse: (v) => (fits(v) ? good(normalise(v)) : refused),
    check: (v) => (fits(v) ? null : fault),
  }
}

/** An unsigned 32-bit integer held in a `number`, optionally bounded to `[min, max]`. */
export function u32(min = 0, max = U32_MAX): Schema<number> {
  assert(min >= 0 && max <= U32_MAX && min <= max, `u32 bounds ${min}..${max}`)
  return scalar(
    `uint32 in ${min}..${max}`,
    (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max,
  )
}

/** A `bigint` in `[min, max]` (defaults: non-negative, at most uint64). */
export function bigint(min = 0n, max = BIGINT_MAX): Schema<bigint> {
  assert(min >= BIGINT_MIN && max <= BIGINT_MAX && min <= max, `bigint bounds ${min}..${max}`)
  return scalar(`bigint in ${min}..${max}`, (v) => typeof v === 'bigint' && v >= min && v <= max)
}

/** A boolean. */
export function bool(): Schema<boolean> {
  return scalar('boolean', (v) => typeof v === 'boolean')
}

/** A string of at most `maxLength` UTF-16 units, optionally matching `pattern`. */
export function str(maxLength: number, pattern?: RegExp): Schema<string> {
  return scalar(
    `string of length <= ${maxLength}${pattern ? ` matching ${pattern.source}` : ''}`,
    (v) => typeof v === 'string' && v.length <= maxLength && (!pattern || pattern.test(v)),
  )
}

/** One of a fixed set of string literals. */
export function literal<const L extends string>(...values: readonly L[]): Schema<L> {
  return scalar(
    `one of ${values.join('|')}`,
    (v) => typeof v === 'string' && (values as readonly string[]).includes(v),
  )
}

// Above 0 while `parseWithByteViews` runs: `bytes` then gives views into the decoder's input.
let byteViews = 0

/**
 * Runs `parse` (synchronous) with every byte string it accepts given as a plain Uint8Array view into
 * the decoder's input instead of a copy of its own: for an input that the caller owns and keeps no
 * longer than the decoded value (a signed tx, `decodeSignedTx`), where a copy per field costs
 * more than the parse. Never for a frame or block whose parts outlive it (a view keeps all of it).
 */
export function parseWithByteViews<T>(parse: () => T): T {
  byteViews++
  try {
    return parse()
  } finally {
    byteViews--
  }
}

function ownBytes(v: unknown): Uint8Array {
  const u = v as Uint8Array
  return byteViews > 0 ? new Uint8Array(u.buffer, u.byteOffset, u.byteLength) : new Uint8Array(u)
}

/**
 * A byte string whose length is in `[minLength, maxLength]`. Normalised to a plain Uint8Array: a
 * copy of its own, whatever the decoder handed over (a Node Buffer, a view into the input), except
 * under `parseWithByteViews`.
 */
export function bytes(minLength: number, maxLength = minLength): Schema<Uint8Array> {
  return scalar(
    minLength === maxLength ? `${minLength} bytes` : `${minLength}..${maxLength} bytes`,
    (v) => v instanceof Uint8Array && v.length >= minLength && v.length <= maxLength,
    ownBytes,
  )
}

/** `null` or a value of `inner`. */
export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return {
    describe: `null or ${inner.describe}`,
    toWire: (v) => (v === null ? null : inner.toWire(v)),
    parse: (v) => (v === null ? good(null) : inner.parse(v)),
    check: (v) => (v === null ? null : inner.check(v)),
  }
}

/**
 * The parts of a fixed-length array, each with its own schema and path step: parses or checks
 * `v` as that array. Shared by tuples and structs.
 */
function parts(describe: string, schemas: readonly Schema<unknown>[], steps: readonly string[]) {
  const fault: ShapeFault = Object.freeze({ path: '', expected: describe })
  const fits = (v: unknown): v is unknown[] => Array.isArray(v) && v.length === schemas.length
  return {
    fault,
    fits,
    parse(v: unknown): Parsed<unknown[]> {
      if (!fits(v)) return { ok: false, fault }
      const out: unknown[] = new Array(schemas.length)
      for (let i = 0; i < schemas.length; i++) {
        const parsed = schemas[i]!.parse(v[i])
        if (!parsed.ok) return { ok: false, fault: faultUnder(steps[i]!, parsed.fault) }
        out[i] = parsed.value
      }
      return good(out)
    },
    check(v: unknown): ShapeFault | null {
      if (!fits(v)) return fault
      for (let i = 0; i < schemas.length; i++) {
        const inner = schemas[i]!.check(v[i])
        if (inner) return faultUnder(steps[i]!, inner)
      }
      return null
    },
  }
}

/** A fixed-length tuple; field schemas in order. */
export function tuple<const S extends readonly Schema<unknown>[]>(
  ...fields: S
): Schema<{ -readonly [K in keyof S]: Infer<S[K]> }> {
  type T = { -readonly [K in keyof S]: Infer<S[K]> }
  const describe = `tuple(${fields.length})`
  const checker = parts(
    describe,
    fields,
    fields.map((_, i) => `[${i}]`),
  )
  return {
    describe,
    toWire: (value) => fields.map((field, i) => field.toWire(value[i])),
    parse: (v) => checker.parse(v) as Parsed<T>,
    check: (v) => checker.check(v),
  }
}

/** A list of at most `maxLength` items of `item`. */
export function list<T>(item: Schema<T>, maxLength: number): Schema<T[]> {
  const describe = `list of <= ${maxLength} ${item.describe}`
  const fault: ShapeFault = Object.freeze({ path: '', expected: describe })
  const fits = (v: unknown): v is unknown[] => Array.isArray(v) && v.length <= maxLength
  return {
    describe,
    toWire: (value) => value.map((v) => item.toWire(v)),
    parse: (v) => {
      if (!fits(v)) return { ok: false, fault }
      const out: T[] = new Array<T>(v.length)
      for (let i = 0; i < v.length; i++) {
        const parsed = item.parse(v[i])
        if (!parsed.ok) return { ok: false, fault: faultUnder(`[${i}]`, parsed.fault) }
        out[i] = parsed.value
      }
      return good(out)
    },
    check: (v) => {
      if (!fits(v)) return fault
      for (let i = 0; i < v.length; i++) {
        const inner = item.check(v[i])
        if (inner) return faultUnder(`[${i}]`, inner)
      }
      return null
    },
  }
}

/** Field schemas of a struct, in wire order (ES object key order is insertion order). */
export type Fields = Readonly<Record<string, Schema<unknown>>>

/** The object type a struct schema accepts. */
export type StructOf<F extends Fields> = { readonly [K in keyof F]: Infer<F[K]> }

/**
 * An object whose fields travel as a fixed-order tuple, in the order the fields are declared.
 * The TypeScript shape is the named object; the wire shape is the tuple.
 */
export function struct<const F extends Fields>(name: string, fields: F): Schema<StructOf<F>> {
  const entries = Object.entries(fields)
  const keys = entries.map(([key]) => key)
  const describe = `${name}(${keys.join(', ')})`
  const schemas = entries.map(([, field]) => field)
  const steps = keys.map((key) => `.${key}`)
  const checker = parts(describe, schemas, steps)
  return {
    describe,
    toWire: (value) => entries.map(([key, field]) => field.toWire(value[key as keyof F])),
    parse: (v) => {
      // Built into an object, not the tuple `checker.parse` gives.
      if (!checker.fits(v)) return { ok: false, fault: checker.fault }
      const out: Record<string, unknown> = {}
      for (let i = 0; i < schemas.length; i++) {
        const parsed = schemas[i]!.parse(v[i])
        if (!parsed.ok) return { ok: false, fault: faultUnder(steps[i]!, parsed.fault) }
        out[keys[i]!] = parsed.value
      }
      return good(out as StructOf<F>)
    },
    check: (v) => checker.check(v),
  }
}
