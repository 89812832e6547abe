// ESLint flat config. The pure core (util, core, codec, crypto, state, vm, consensus) may not touch the
// clock, randomness, timers, I/O or Node built-ins: these rules enforce STYLE.md section 1 in CI.
import tseslint from 'typescript-eslint'

const PURE_CORE = [
  'src/util/**/*.ts',
  'src/core/**/*.ts',
  'src/codec/**/*.ts',
  'src/crypto/**/*.ts',
  'src/vm/**/*.ts',
  'src/consensus/**/*.ts',
  'src/state/**/*.ts',
  'src/chain/**/*.ts',
]

const IMPURE_MODULES = [
  {
    group: ['node:*'],
    message: 'The pure core may not import Node built-ins (STYLE.md section 1).',
  },
  {
    group: [
      'level',
      'classic-level',
      'libp2p',
      '@libp2p/*',
      '@chainsafe/*',
      'fastify',
      '@fastify/*',
      'pino',
      'prom-client',
    ],
    message: 'The pure core may not import I/O libraries (STYLE.md section 1).',
  },
  {
    group: ['**/ledger/**', '**/p2p/**', '**/api/**', '**/node/**', '**/client/**'],
    message: 'The pure core may not import outer layers.',
  },
]

const NODE_BUILTINS = [
  'fs',
  'path',
  'os',
  'crypto',
  'child_process',
  'net',
  'http',
  'worker_threads',
  'process',
  'timers',
  'perf_hooks',
]

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      '**/*.mjs',
      'dist/**',
      'coverage/**',
      '.scratch/**',
      'test/fixtures/**',
      '*.config.js',
      '**/*.d.ts',
    ],
  },
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: true },
      ],
      // noUncheckedIndexedAccess types every indexed read as possibly undefined; `!` after a
      // bounds-checked index is the intended escape, and assertions guard the rest.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allow: [{ from: 'lib', name: 'bigint' }] },
      ],
      'no-console': 'error',
      eqeqeq: 'error',
      'no-restricted-exports': [
        'error',
        {
          restrictDefaultExports: {
            direct: true,
            named: true,
            defaultFrom: true,
            namedFrom: true,
            namespaceFrom: true,
          },
        },
      ],
    },
  },
  {
    files: ['*.config.ts'],
    rules: { 'no-restricted-exports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    rules: {
      'max-lines-per-function': ['error', { max: 70, skipBlankLines: true, skipComments: true }],
    },
  },
  {
    files: PURE_CORE,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: IMPURE_MODULES,
          paths: NODE_BUILTINS.map((name) => ({
            name,
            message: 'No Node built-ins in the pure core.',
          })),
        },
      ],
      'no-restricted-globals': [
        'error',
        ...[
          'Date',
          'setTimeout',
          'setInterval',
          'setImmediate',
          'clearTimeout',
          'clearInterval',
          'process',
          'performance',
          'console',
          'Buffer',
          'require',
          'fetch',
        ].map((name) => ({
          name,
          message: `${name} is not allowed in the pure core (STYLE.md section 1).`,
        })),
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Math',
          property: 'random',
          message: 'Randomness comes only from an injected seeded PRNG.',
        },
        {
          object: 'Date',
          property: 'now',
          message: 'The pure core reads time only from the block header or its inputs.',
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: ':function[async=true]',
          message: 'No async functions in the pure core: it is synchronous.',
        },
      ],
    },
  },
  {
    // The light client runs in browsers: no Node built-ins, no server-side libraries or layers.
    files: ['src/client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: IMPURE_MODULES.slice(0, 2).concat([
            {
              group: ['**/ledger/**', '**/p2p/**', '**/api/**', '**/node/**'],
              message: 'The client may not import server layers.',
            },
          ]),
          paths: NODE_BUILTINS.map((name) => ({ name, message: 'The client runs in browsers.' })),
        },
      ],
      'no-restricted-globals': [
        'error',
        ...['process', 'Buffer', 'require'].map((name) => ({
          name,
          message: `${name} does not exist in browsers.`,
        })),
      ],
    },
  },
  // ledger, p2p and api never import one another; only src/node wires them (STYLE.md section 1).
  ...[
    ['ledger', ['p2p', 'api', 'node']],
    ['p2p', ['ledger', 'api', 'node']],
    ['api', ['ledger', 'p2p', 'node']],
  ].map(([layer, banned]) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: banned.map((b) => `**/${b}/**`),
              message: `src/${layer} may not import ${banned.join(', ')}.`,
            },
          ],
        },
      ],
    },
  })),
  {
    files: ['src/crypto/verifier.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['bin/**', 'bench/**', 'test/**', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
    },
  },
)
