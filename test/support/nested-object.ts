/** `{ a: { a: ... {} } }`, `depth` levels deep: payloads that nest past what a store takes. */
export function nestedObject(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let level = 0; level < depth; level++) value = { a: value };
  return value;
}
