/**
 * util: assertions, Result, coded errors and byte helpers.
 * Public API: assert/assertNever/AssertionError, Result/ok/err, CodedError/NodeError, byte helpers.
 * Must not import: anything else from src/ (it is the bottom of the dependency graph).
 */
export * from './assert.ts'
export * from './bytes.ts'
export * from './errors.ts'
export * from './result.ts'
