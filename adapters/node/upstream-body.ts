// A response body pushed by undici's dispatch callbacks: Node's downstream writers take it whole or as a push stream.

/** Where a PushedBody delivers its chunks once attached. */
export interface BodySink {
  /** One chunk; false asks the producer to pause until the consumer calls `body.resume()`. */
  data(chunk: Buffer): boolean;
  end(): void;
  error(err: Error): void;
}

/** Bytes buffered before anyone reads (the core is still deciding what to do) before the upstream is paused. */
const HIGH_WATER = 64 * 1024;

const OPEN = 0;
const ENDED = 1;
const FAILED = 2;
const DESTROYED = 3;

/**
 * The upstream response body of one HTTP/1.1 exchange. Chunks that arrive before a consumer attaches are kept
 * (most responses are complete by then and go downstream in one write); after that they are pushed straight to
 * the sink. Other consumers see an ordinary AsyncIterable.
 */
export class PushedBody implements AsyncIterable<Uint8Array> {
  // Chunks that arrived before a consumer: usually one, kept without an array.
  #chunk: Buffer | undefined;
  #chunks: Buffer[] | undefined;
  #bytes = 0;
  #state = OPEN;
  #error: Error | undefined;
  #sink: BodySink | undefined;
  #producerPaused = false;
  #resumeProducer: () => void;
  #abort: (err?: Error) => void;

  constructor(resumeProducer: () => void, abort: (err?: Error) => void) {
    this.#resumeProducer = resumeProducer;
    this.#abort = abort;
  }

  // ---- producer side (the dispatch handler) ----

  /** A chunk from upstream; false pauses the upstream socket until `resume()`. */
  push(chunk: Buffer): boolean {
    if (this.#state !== OPEN) return true;
    const sink = this.#sink;
    if (sink) {
      if (sink.data(chunk)) return true;
      this.#producerPaused = true;
      return false;
    }
    if (this.#chunk === undefined) this.#chunk = chunk;
    else (this.#chunks ??= []).push(chunk);
    this.#bytes += chunk.length;
    if (this.#bytes < HIGH_WATER) return true;
    this.#producerPaused = true;
    return false;
  }

  end(): void {
    if (this.#state !== OPEN) return;
    this.#state = ENDED;
    this.#sink?.end();
  }

  fail(err: Error): void {
    if (this.#state !== OPEN) return;
    this.#state = FAILED;
    this.#error = err;
    this.#chunk = this.#chunks = undefined;
    this.#sink?.error(err);
  }

  // ---- consumer side ----

  /** The whole body when it has already arrived and nothing consumes it yet (then this consumes it). */
  takeComplete(): Buffer | undefined {
    if (this.#state !== ENDED || this.#sink) return undefined;
    const first = this.#chunk;
    const more = this.#chunks;
    this.#chunk = this.#chunks = undefined;
    this.#sink = DISCARD;
    if (first === undefined) return EMPTY;
    return more ? Buffer.concat([first, ...more], this.#bytes) : first;
  }

  /** Starts delivery to `sink`: buffered chunks first, then end / error as they happen. Once only. */
  attach(sink: BodySink): void {
    if (this.#sink) throw new Error("response body is already being read");
    this.#sink = sink;
    const first = this.#chunk;
    const more = this.#chunks;
    this.#chunk = this.#chunks = undefined;
    let accepting = true;
    if (first !== undefined && this.#state !== FAILED) {
      accepting = sink.data(first);
      if (more) { for (const chunk of more) accepting = sink.data(chunk); }
    }
    if (this.#state === ENDED) sink.end();
    else if (this.#state === FAILED) sink.error(this.#error!);
    else if (accepting) this.resume();
  }

  /** The consumer can take more (after a drain). With no consumer: read and discard the rest, as Readable does. */
  resume(): void {
    if (!this.#sink) {
      this.#chunk = this.#chunks = undefined;
      this.#sink = DISCARD;
    }
    if (this.#producerPaused && this.#state === OPEN) {
      this.#producerPaused = false;
      this.#resumeProducer();
    }
  }

  /** The consumer went away: reset the upstream exchange unless it has already finished. */
  destroy(err?: Error): void {
    const wasOpen = this.#state === OPEN;
    this.#state = DESTROYED;
    this.#chunk = this.#chunks = undefined;
    this.#sink = DISCARD;
    if (wasOpen) this.#abort(err);
  }

  get complete(): boolean {
    return this.#state === ENDED;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    const queue: Buffer[] = [];
    let done = false;
    let failure: Error | undefined;
    let wake: (() => void) | undefined;
    this.attach({
      data(chunk) {
        queue.push(chunk);
        wake?.();
        return queue.length < 16;
      },
      end() {
        done = true;
        wake?.();
      },
      error(err) {
        failure = err;
        wake?.();
      },
    });
    return {
      next: async (): Promise<IteratorResult<Uint8Array>> => {
        while (true) {
          if (queue.length) {
            const value = queue.shift()!;
            if (!queue.length) this.resume();
            return { value, done: false };
          }
          if (failure) throw failure;
          if (done) return { value: undefined, done: true };
          await new Promise<void>((resolve) => wake = resolve);
          wake = undefined;
        }
      },
      return: (): Promise<IteratorResult<Uint8Array>> => {
        this.destroy();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}

const EMPTY = Buffer.alloc(0);

const DISCARD: BodySink = { data: () => true, end() {}, error() {} };
