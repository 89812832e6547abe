/**
 * The pure core type-checks with `lib: ["ES2022"]` and no Node or DOM types, so that Node globals
 * are not even visible there. TextEncoder and TextDecoder are the one exception: every runtime the
 * code targets (Node and browsers) has them, and they are deterministic.
 */
declare global {
  class TextEncoder {
    encode(input?: string): Uint8Array
  }
  class TextDecoder {
    constructor(label?: string, options?: { fatal?: boolean; ignoreBOM?: boolean })
    decode(input?: Uint8Array): string
  }
}
export {}
