import { defineConfig } from 'vitest/config'

// Projects (STYLE.md section 9): `unit` is the default suite (unit, property, vectors, and the fast
// share of the simulations and e2e tests); `sim` runs long simulations; `e2e` spawns processes serially.
export default defineConfig({
  test: {
    setupFiles: ['./src/polyfills.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'test/unit/**/*.test.ts',
            'test/property/**/*.test.ts',
            'test/vectors/**/*.test.ts',
            'test/sim/**/*.quick.test.ts',
            'test/e2e/**/*.quick.test.ts',
          ],
        },
      },
      { extends: true, test: { name: 'sim', include: ['test/sim/**/*.long.test.ts'] } },
      {
        // The web console in headless Chromium (issue #10): `npm run test:console`; CI runs it too.
        extends: true,
        test: { name: 'browser', include: ['test/e2e/**/*.browser.test.ts'], testTimeout: 120_000 },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.long.test.ts'],
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
})
