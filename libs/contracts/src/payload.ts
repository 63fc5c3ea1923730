/** The largest message body accepted, over HTTP (413 beyond) and AMQP (dead-lettered beyond). */
export const MAX_MESSAGE_BYTES = 256 * 1024;

/** How deep a payload may nest: MongoDB refuses documents nested about 180 levels deep. */
export const MAX_PAYLOAD_DEPTH = 64;

export interface PayloadProblem {
  /** Where, below the payload: ['order', 'items', 3]. */
  path: (string | number)[];
  message: string;
}

/**
 * What would make a JSON payload impossible to store, found without recursion (a payload of
 * thousands of nested arrays must not overflow the stack here either): nesting deeper than
 * MAX_PAYLOAD_DEPTH, or a key holding a NUL character, which BSON cannot encode. Either one,
 * accepted, would make every later attempt to store its message fail.
 */
export function payloadProblem(payload: unknown): PayloadProblem | undefined {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: payload, path: [] }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (path.length >= MAX_PAYLOAD_DEPTH) {
      return { path, message: `nests deeper than ${MAX_PAYLOAD_DEPTH} levels` };
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => stack.push({ value: item, path: [...path, index] }));
      continue;
    }
    for (const [key, item] of Object.entries(value)) {
      if (key.includes('\u0000')) {
        return { path: [...path, key], message: 'keys may not contain the NUL character' };
      }
      stack.push({ value: item, path: [...path, key] });
    }
  }
  return undefined;
}
