import { publishMessageSchema } from './message.contract';
import { MAX_PAYLOAD_DEPTH, payloadProblem } from './payload';

function nested(depth: number, wrap: (inner: unknown) => unknown): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = wrap(value);
  return value;
}

describe('payloadProblem', () => {
  it('accepts ordinary payloads, $-keys and dotted keys included', () => {
    expect(payloadProblem({ order: { id: 1, items: [{ sku: 'a' }] } })).toBeUndefined();
    expect(payloadProblem({ $set: 1, 'a.b': { $gt: 2 }, '': null })).toBeUndefined();
  });

  it(`accepts nesting up to ${MAX_PAYLOAD_DEPTH} levels and refuses more`, () => {
    expect(payloadProblem(nested(MAX_PAYLOAD_DEPTH, (inner) => ({ a: inner })))).toBeUndefined();
    const problem = payloadProblem(nested(MAX_PAYLOAD_DEPTH + 1, (inner) => ({ a: inner })));
    expect(problem?.message).toBe(`nests deeper than ${MAX_PAYLOAD_DEPTH} levels`);
    expect(problem?.path).toHaveLength(MAX_PAYLOAD_DEPTH);
  });

  it('walks 100,000 nested arrays without overflowing the stack', () => {
    const text = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    expect(payloadProblem({ deep: JSON.parse(text) })?.message).toMatch(/nests deeper/);
  });

  it('refuses a key with a NUL character, naming where it is', () => {
    expect(payloadProblem({ a: [{ 'b\u0000c': 1 }] })).toEqual({
      path: ['a', 0, 'b\u0000c'],
      message: 'keys may not contain the NUL character',
    });
  });
});

describe('publishMessageSchema and the payload', () => {
  it('names the field below payload', () => {
    const result = publishMessageSchema.safeParse({
      eventType: 'order.paid',
      payload: { items: [{ 'x\u0000': 1 }] },
    });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['payload', 'items', 0, 'x\u0000']);
  });

  it('keeps a "__proto__" key as data, not as a prototype', () => {
    const parsed = publishMessageSchema.parse(
      JSON.parse('{"eventType":"a","payload":{"__proto__":{"polluted":true},"n":1}}'),
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(parsed.payload)).toBe(Object.prototype);
    expect(parsed.payload.n).toBe(1);
  });
});
