import { setTimeout as sleep } from 'node:timers/promises';
import type { Clock } from '#ports/clock.ts';

/** Wall-clock time and real sleeps: the Lambda entries' `Clock`. Tests pass a fake one. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: async (ms: number) => {
    await sleep(ms);
  },
};
