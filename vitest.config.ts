import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real local stacks on loopback; keep them off the shared AWS env.
    env: { AWS_REGION: 'us-east-1' },
  },
});
