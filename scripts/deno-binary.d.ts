// Types for deno-binary.js.
export function denoBinary(): string;
