// A cheap, single-use cancellation for one upstream attempt (AbortController costs microseconds per request on Node).
import type { WeftError } from "../errors.ts";

type Listener = (reason: WeftError) => void;

export class AttemptCancel {
  reason: WeftError | undefined;
  // Almost always exactly one listener (the upstream pool's): kept in a field, more in an array.
  #first: Listener | undefined;
  #more: Listener[] | undefined;

  get aborted(): boolean {
    return this.reason !== undefined;
  }

  /** Cancels once; later calls are ignored. */
  cancel(reason: WeftError): void {
    if (this.reason !== undefined) return;
    this.reason = reason;
    const first = this.#first;
    const more = this.#more;
    this.#first = undefined;
    this.#more = undefined;
    first?.(reason);
    if (more) { for (const fn of more) fn(reason); }
  }

  /** Runs `fn` on cancellation (now, if already cancelled); returns an unsubscribe function. */
  onCancel(fn: Listener): () => void {
    if (this.reason !== undefined) {
      fn(this.reason);
      return noop;
    }
    this.#add(fn);
    return () => this.off(fn);
  }

  /** `onCancel` without the unsubscribe closure: pair it with `off(fn)`. */
  on(fn: Listener): void {
    if (this.reason !== undefined) fn(this.reason);
    else this.#add(fn);
  }

  /** Removes a listener added with `on` or `onCancel`. */
  off(fn: Listener): void {
    if (this.#first === fn) {
      this.#first = undefined;
      return;
    }
    const more = this.#more;
    const i = more ? more.indexOf(fn) : -1;
    if (i >= 0) more!.splice(i, 1);
  }

  /** An AbortSignal for APIs that need one (fetch); made on demand. */
  toAbortSignal(): AbortSignal {
    const controller = new AbortController();
    this.onCancel((reason) => controller.abort(reason));
    return controller.signal;
  }

  #add(fn: Listener) {
    if (this.#first === undefined) this.#first = fn;
    else (this.#more ??= []).push(fn);
  }
}

function noop() {}
