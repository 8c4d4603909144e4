// A push-driven AsyncIterable: the request side of a client bidi stream.
export interface AsyncQueue<T> extends AsyncIterable<T> {
  push(value: T): void;
  close(): void;
}

export function createAsyncQueue<T>(): AsyncQueue<T> {
  const buffered: T[] = [];
  let waiting: ((r: IteratorResult<T>) => void) | undefined;
  let closed = false;
  return {
    push(value) {
      if (closed) return;
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w({ value, done: false });
      } else buffered.push(value);
    },
    close() {
      closed = true;
      if (waiting) {
        const w = waiting;
        waiting = undefined;
        w({ value: undefined, done: true });
      }
    },
    [Symbol.asyncIterator]() {
      return {
        next(): Promise<IteratorResult<T>> {
          if (buffered.length) return Promise.resolve({ value: buffered.shift()!, done: false });
          if (closed) return Promise.resolve({ value: undefined, done: true });
          return new Promise((resolve) => waiting = resolve);
        },
        return(): Promise<IteratorResult<T>> {
          closed = true;
          return Promise.resolve({ value: undefined, done: true });
        },
        throw(err?: unknown): Promise<IteratorResult<T>> {
          closed = true;
          return Promise.reject(err);
        },
      };
    },
  };
}
