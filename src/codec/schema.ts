/**
 * Declarative shapes for canonical tuples. A `Schema<T>` validates a decoded msgpack value, returns
 * it normalised (plain `Uint8Array` instead of Node `Buffer` views) and types it as `T`.
 *
 * Spec: docs/protocol/encoding.md#types. Each field has exactly one JavaScript type: numbers are
 * uint32 `number`s (msgpackr encodes larger integers as float64, which consensus data must never
 * contain), amounts and times are `bigint` (always encoded as int64/uint64), bytes are `Uint8Array`.
 */
import { assert } from '../util/assert.ts'

/** A shape violation found while checking a decoded value: where and what. */
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
 * tuple). For every `T` the schema accepts, `parse(toWire(t))` gives back `t`.
 */
export interface Schema<T> {
  readonly describe: string
  parse(value: unknown, path: string): Parsed<T>
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

function bad<T>(path: string, expected: string): Parsed<T> {
  return { ok: false, fault: { path, expected } }
}

/** An unsigned 32-bit integer held in a `number`, optionally bounded to `[min, max]`. */
export function u32(min = 0, max = U32_MAX): Schema<number> {
  assert(min >= 0 && max <= U32_MAX && min <= max, `u32 bounds ${min}..${max}`)
  const describe = `uint32 in ${min}..${max}`
  return {
    describe,
    toWire: identity,
    parse: (v, path) =>
      typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max
        ? good(v)
        : bad(path, describe),
  }
}

/** A `bigint` in `[min, max]` (defaults: non-negative, at most uint64). */
export function bigint(min = 0n, max = BIGINT_MAX): Schema<bigint> {
  assert(min >= BIGINT_MIN && max <= BIGINT_MAX && min <= max, `bigint bounds ${min}..${max}`)
  const describe = `bigint in ${min}..${max}`
  return {
    describe,
    toWire: identity,
    parse: (v, path) =>
      typeof v === 'bigint' && v >= min && v <= max ? good(v) : bad(path, describe),
  }
}

/** A boolean. */
export function bool(): Schema<boolean> {
  return {
    describe: 'boolean',
    toWire: identity,
    parse: (v, path) => (typeof v === 'boolean' ? good(v) : bad(path, 'boolean')),
  }
}

/** A string of at most `maxLength` UTF-16 units, optionally matching `pattern`. */
export function str(maxLength: number, pattern?: RegExp): Schema<string> {
  const describe = `string of length <= ${maxLength}${pattern ? ` matching ${pattern.source}` : ''}`
  return {
    describe,
    toWire: identity,
    parse: (v, path) =>
      typeof v === 'string' && v.length <= maxLength && (!pattern || pattern.test(v))
        ? good(v)
        : bad(path, describe),
  }
}

/** One of a fixed set of string literals. */
export function literal<const L extends string>(...values: readonly L[]): Schema<L> {
  const describe = `one of ${values.join('|')}`
  return {
    describe,
    toWire: identity,
    parse: (v, path) =>
      typeof v === 'string' && (values as readonly string[]).includes(v)
        ? good(v as L)
        : bad(path, describe),
  }
}

/** A byte string whose length is in `[minLength, maxLength]`. Normalised to a plain Uint8Array. */
export function bytes(minLength: number, maxLength = minLength): Schema<Uint8Array> {
  const describe =
    minLength === maxLength ? `${minLength} bytes` : `${minLength}..${maxLength} bytes`
  return {
    describe,
    toWire: identity,
    parse: (v, path) =>
      v instanceof Uint8Array && v.length >= minLength && v.length <= maxLength
        ? good(new Uint8Array(v))
        : bad(path, describe),
  }
}

/** `null` or a value of `inner`. */
export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  const describe = `null or ${inner.describe}`
  return {
    describe,
    toWire: (v) => (v === null ? null : inner.toWire(v)),
    parse: (v, path) => (v === null ? good(null) : inner.parse(v, path)),
  }
}

/** A fixed-length tuple; field schemas in order. */
export function tuple<const S extends readonly Schema<unknown>[]>(
  ...fields: S
): Schema<{ -readonly [K in keyof S]: Infer<S[K]> }> {
  type T = { -readonly [K in keyof S]: Infer<S[K]> }
  const describe = `tuple(${fields.length})`
  return {
    describe,
    toWire: (value) => fields.map((field, i) => field.toWire(value[i])),
    parse: (v, path) => {
      if (!Array.isArray(v) || v.length !== fields.length) return bad(path, describe)
      const out: unknown[] = []
      for (let i = 0; i < fields.length; i++) {
        const parsed = fields[i]!.parse(v[i], `${path}[${i}]`)
        if (!parsed.ok) return parsed
        out.push(parsed.value)
      }
      return good(out as T)
    },
  }
}

/** A list of at most `maxLength` items of `item`. */
export function list<T>(item: Schema<T>, maxLength: number): Schema<T[]> {
  const describe = `list of <= ${maxLength} ${item.describe}`
  return {
    describe,
    toWire: (value) => value.map((v) => item.toWire(v)),
    parse: (v, path) => {
      if (!Array.isArray(v) || v.length > maxLength) return bad(path, describe)
      const out: T[] = []
      for (let i = 0; i < v.length; i++) {
        const parsed = item.parse(v[i], `${path}[${i}]`)
        if (!parsed.ok) return parsed
        out.push(parsed.value)
      }
      return good(out)
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
  const describe = `${name}(${entries.map(([k]) => k).join(', ')})`
  return {
    describe,
    toWire: (value) => entries.map(([key, field]) => field.toWire(value[key as keyof F])),
    parse: (v, path) => {
      if (!Array.isArray(v) || v.length !== entries.length) return bad(path, describe)
      const out: Record<string, unknown> = {}
      for (let i = 0; i < entries.length; i++) {
        const [key, field] = entries[i]!
        const parsed = field.parse(v[i], `${path}.${key}`)
        if (!parsed.ok) return parsed
        out[key] = parsed.value
      }
      return good(out as StructOf<F>)
    },
  }
}
