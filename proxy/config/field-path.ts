// Field paths into config messages (field, list index, map key), their Envoy-style text form, and field issues.

/** A step into a message: a proto field name, a list index, or a map key. */
export type PathSegment = string | number | { readonly key: string };

/** A rejected field: where it is (the key itself, or its value) and why. */
export interface FieldIssue {
  readonly path: string;
  readonly segments: readonly PathSegment[];
  readonly message: string;
  /** Whether the problem is the field being there ("key") or what it holds ("value"). Defaults to "key". */
  readonly at?: "key" | "value";
}

/** `static_resources.clusters[0].typed_extension_protocol_options["envoy.x"]` */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = "";
  for (const seg of segments) {
    if (typeof seg === "number") out += `[${seg}]`;
    else if (typeof seg === "string") out += out === "" ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg.key)}]`;
  }
  return out;
}

/** Maps a field path to its position in the source text (the field's name, or its value), when there is one. */
export type Locate = (
  segments: readonly PathSegment[],
  at: "key" | "value",
) => { readonly line: number; readonly column: number } | undefined;

export function fieldIssue(
  segments: readonly PathSegment[],
  message: string,
  at?: "key" | "value",
): FieldIssue {
  return { path: formatPath(segments), segments, message, at };
}
