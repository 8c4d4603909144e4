// Comparisons the control plane shares: string order for sorting, and "same elements" by identity.

/** Code-unit order of two strings, for sort(). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether two lists hold the same objects in the same order. Stores and registries hand out the same object
 * for an unchanged item, so this tells "nothing changed" without comparing contents.
 */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
