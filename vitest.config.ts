import { defineConfig } from 'vitest/config';

// Unit tests run in parallel; browser tests each start Chromium and the server, so they run one file at a time,
// and only after the unit tests are done (groupOrder), on this 2-core machine to keep WebRTC timing honest.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          environment: 'node',
          fileParallelism: false,
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
