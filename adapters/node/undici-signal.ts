// Presents the core's AttemptCancel to undici as the EventEmitter-shaped signal it accepts (no AbortController).
import type { AttemptCancel } from "../../proxy/http/attempt-cancel.ts";

export class UndiciCancelSignal {
  #cancel: AttemptCancel;
  #unsubscribe: (() => void) | undefined;

  constructor(cancel: AttemptCancel) {
    this.#cancel = cancel;
  }
  get aborted(): boolean {
    return this.#cancel.aborted;
  }
  get reason(): Error | undefined {
    return this.#cancel.reason;
  }
  on(_event: "abort", fn: () => void): this {
    this.#unsubscribe = this.#cancel.onCancel(() => fn());
    return this;
  }
  once(event: "abort", fn: () => void): this {
    return this.on(event, fn);
  }
  removeListener(_event: "abort", _fn: () => void): this {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    return this;
  }
}
