// A tiny listener list for registry change events (subscribe returns its own unsubscribe).
import type { RegistryEvent, RegistryListener } from "./types.ts";

export interface ChangeEmitter {
  subscribe(cb: RegistryListener): () => void;
  emit(event: RegistryEvent): void;
}

export function createChangeEmitter(): ChangeEmitter {
  const listeners = new Set<RegistryListener>();
  return {
    subscribe(cb) {
      const entry: RegistryListener = (e) => cb(e);
      listeners.add(entry);
      return () => listeners.delete(entry);
    },
    emit(event) {
      for (const cb of [...listeners]) cb(event);
    },
  };
}
