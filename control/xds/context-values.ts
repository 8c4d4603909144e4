// A request's own context values: the caller's (never changed: they may be shared) plus one value of its own.
import { type ContextKey, type ContextValues, createContextValues } from "@connectrpc/connect";

export function withContextValue<T>(
  caller: ContextValues | undefined,
  key: ContextKey<T>,
  value: T,
): ContextValues {
  const own = createContextValues().set(key, value);
  if (caller === undefined) return own;
  const pick = (k: ContextKey<unknown>) => (k.id === key.id ? own : caller);
  const values: ContextValues = {
    get: <V>(k: ContextKey<V>): V => pick(k as ContextKey<unknown>).get(k),
    set<V>(k: ContextKey<V>, v: V) {
      pick(k as ContextKey<unknown>).set(k, v);
      return values;
    },
    delete(k: ContextKey<unknown>) {
      pick(k).delete(k);
      return values;
    },
  };
  return values;
}
