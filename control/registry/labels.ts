// Label selectors: a selector matches when every key/value it names is present in the labels.
export type Labels = Readonly<Record<string, string>>;

/** True when `labels` carries every pair of `selector` (an empty selector matches everything). */
export function matchesSelector(labels: Labels, selector: Labels | undefined): boolean {
  if (selector === undefined) return true;
  for (const key of Object.keys(selector)) {
    if (labels[key] !== selector[key]) return false;
  }
  return true;
}

/** True when the selector is absent or has no keys. */
export function isEmptySelector(selector: Labels | undefined): boolean {
  return selector === undefined || Object.keys(selector).length === 0;
}
