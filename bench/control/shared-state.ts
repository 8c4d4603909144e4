// Sets and maps the simulated proxies share until one of them changes its own (copy on write).
//
// 500 simulated proxies of 5 classes reach the same state from the same (memoized) responses: the 1,200 EDS
// names a class's clusters subscribe to, the names each response brings. Building those per proxy was ~0.75 s
// of the simulator's CPU in a delta first push, on the core it shares with nothing but its own GC while the
// control plane it measures has the other. A proxy now adopts the shared set (response-memo.ts's memo decides
// when it is the same) and copies it at its first change. BENCH_CONTROL_NO_MEMO=1 turns the memo off.

/** A Set<string> that may hold a shared set until its first change. */
export class CowSet implements Iterable<string> {
  private set = new Set<string>();
  private shared = false;

  get size(): number {
    return this.set.size;
  }
  has(name: string): boolean {
    return this.set.has(name);
  }
  [Symbol.iterator](): Iterator<string> {
    return this.set[Symbol.iterator]();
  }
  /** Holds `set` (never changed through this object: it is copied first). */
  adopt(set: Set<string>): void {
    this.set = set;
    this.shared = true;
  }
  add(name: string): void {
    if (!this.set.has(name)) this.own().add(name);
  }
  delete(name: string): void {
    if (this.set.has(name)) this.own().delete(name);
  }
  private own(): Set<string> {
    if (this.shared) {
      this.set = new Set(this.set);
      this.shared = false;
    }
    return this.set;
  }
}

/** A Map<string, V> that may hold a shared map until its first change. */
export class CowMap<V> {
  private map = new Map<string, V>();
  private shared = false;

  get size(): number {
    return this.map.size;
  }
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  has(key: string): boolean {
    return this.map.has(key);
  }
  adopt(map: Map<string, V>): void {
    this.map = map;
    this.shared = true;
  }
  set(key: string, value: V): void {
    if (this.map.get(key) !== value || !this.map.has(key)) this.own().set(key, value);
  }
  delete(key: string): void {
    if (this.map.has(key)) this.own().delete(key);
  }
  private own(): Map<string, V> {
    if (this.shared) {
      this.map = new Map(this.map);
      this.shared = false;
    }
    return this.map;
  }
}
