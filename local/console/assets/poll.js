/** Polling that stops with its page and never overlaps itself. */

/**
 * Calls `tick` now and then every `intervalMs` after the previous call ended; `stop()` ends it.
 * A failed tick is reported to `onError` and polling goes on (the stack may be restarting).
 */
export function poll(tick, intervalMs, onError = () => {}) {
  let stopped = false;
  let timer;
  async function run() {
    if (stopped) return;
    try {
      await tick();
    } catch (error) {
      onError(error);
    }
    if (!stopped) timer = setTimeout(run, intervalMs);
  }
  run();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
