// Exponential back-off with full jitter for reconnecting to the control plane.
export interface Backoff {
  next(): number;
  reset(): void;
}

export function createBackoff(baseMs: number, maxMs: number, random: () => number): Backoff {
  let attempt = 0;
  return {
    next() {
      const ceiling = Math.min(maxMs, baseMs * 2 ** Math.min(attempt++, 30));
      return Math.max(baseMs / 2, Math.floor(random() * ceiling));
    },
    reset() {
      attempt = 0;
    },
  };
}
