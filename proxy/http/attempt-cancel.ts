// A cheap, single-use cancellation for one upstream attempt (AbortController costs microseconds per request on Node).
import type { WeftError } from "../errors.ts";

export class AttemptCancel {
  reason: WeftError | undefined;
  #listeners: ((reason: WeftError) => void)[] | undefined;

  get aborted(): boolean {
    return this.reason !== undefined;
  }

  /** Cancels once; later calls are ignored. */
  cancel(reason: WeftError): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    const listeners = this.#listeners;
    this.#listeners = undefined;
    if (listeners) { for (const fn of listeners) fn(reason); }
  }

  /** Runs `fn` on cancellation (now, if already cancelled); returns an unsubscribe function. */
  onCancel(fn: (reason: WeftError) => void): () => void {
    if (this.reason !== undefined) {
      fn(this.reason);
      return noop;
    }
    (this.#listeners ??= []).push(fn);
    return () => {
      const l = this.#listeners;
      if (l) l.splice(l.indexOf(fn), 1);
    };
  }

  /** An AbortSignal for APIs that need one (fetch); made on demand. */
  toAbortSignal(): AbortSignal {
    const controller = new AbortController();
    this.onCancel((reason) => controller.abort(reason));
    return controller.signal;
  }
}

function noop() {}
