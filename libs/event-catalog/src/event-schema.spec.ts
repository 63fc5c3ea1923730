import { compileEventSchema, type CompiledSchema } from './event-schema';
import { MAX_REPORTED_FAILURES } from './schema-failure';
import { MAX_SCHEMA_BYTES, MAX_SCHEMA_DEPTH, MAX_SCHEMA_PATTERNS } from './tenant-schema-rules';

function compiled(schema: unknown): CompiledSchema {
  const result = compileEventSchema(schema);
  if (!result.ok) throw new Error(`refused: ${JSON.stringify(result.failures)}`);
  return result.schema;
}

function refusal(schema: unknown) {
  const result = compileEventSchema(schema);
  if (result.ok) throw new Error('expected the schema to be refused');
  return result.failures.failures;
}

const orderPaid = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  required: ['amount', 'currency'],
  properties: {
    amount: { type: 'number', minimum: 0 },
    currency: { type: 'string', pattern: '^[A-Z]{3}$' },
    lines: { type: 'array', items: { $ref: '#/$defs/line' } },
  },
  additionalProperties: false,
  $defs: { line: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } } },
};

describe('compileEventSchema', () => {
  it('checks payloads, naming each failure by a JSON pointer into the payload and its keyword', () => {
    const schema = compiled(orderPaid);
    expect(schema.validate({ amount: 5, currency: 'EUR', lines: [{ sku: 'a' }] })).toBeUndefined();
    const failures = schema.validate({ amount: '5', currency: 'eur', extra: 1, lines: [{}] });
    expect(failures?.failures).toEqual(
      expect.arrayContaining([
        { pointer: '/amount', keyword: 'type', message: 'must be number' },
        { pointer: '/currency', keyword: 'pattern', message: 'must match pattern "^[A-Z]{3}$"' },
        { pointer: '/extra', keyword: 'additionalProperties', message: expect.any(String) },
        { pointer: '/lines/0/sku', keyword: 'required', message: expect.any(String) },
      ]),
    );
    expect(schema.validate({ currency: 'EUR' })?.failures).toEqual([
      { pointer: '/amount', keyword: 'required', message: "must have required property 'amount'" },
    ]);
    schema.dispose();
  });

  it('reports at most MAX_REPORTED_FAILURES failures, and how many there were', () => {
    const schema = compiled({ type: 'array', items: { type: 'number' } });
    const failures = schema.validate(Array.from({ length: 50 }, () => 'x'))!;
    expect(failures.failures).toHaveLength(MAX_REPORTED_FAILURES);
    expect(failures.total).toBe(50);
  });

  it('refuses what is not JSON Schema with a pointer into the schema', () => {
    expect(refusal({ type: 'object', properties: { a: { type: 'strin' } } })).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: '/properties/a/type', keyword: 'enum' }),
      ]),
    );
    expect(refusal({ type: 'object', requried: ['a'] })).toEqual([
      expect.objectContaining({ keyword: 'compile', message: expect.stringContaining('requried') }),
    ]);
    expect(refusal({ $ref: '#/$defs/missing' })).toEqual([
      expect.objectContaining({ keyword: 'compile', message: expect.stringContaining('missing') }),
    ]);
  });

  describe('hostile schemas', () => {
    it('runs a catastrophic-backtracking pattern in linear time', () => {
      const schema = compiled({
        type: 'object',
        properties: { a: { type: 'string', pattern: '^(a+)+$' } },
        patternProperties: { '^(x+x+)+y$': { type: 'number' } },
      });
      const evil = `${'a'.repeat(100_000)}!`;
      const started = performance.now();
      const failures = schema.validate({ a: evil, [`${'x'.repeat(5_000)}y`]: 'not a number' });
      expect(performance.now() - started).toBeLessThan(500);
      expect(failures?.failures.map((f) => f.keyword).sort()).toEqual(['pattern', 'type']);
      schema.dispose();
    });

    it('refuses patterns RE2 cannot run, naming where they are', () => {
      expect(
        refusal({ properties: { a: { pattern: '(a)\\1' } }, patternProperties: { '(?=x)': {} } }),
      ).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ pointer: '/properties/a/pattern', keyword: 'pattern' }),
          expect.objectContaining({
            pointer: '/patternProperties/(?=x)',
            keyword: 'patternProperties',
          }),
        ]),
      );
    });

    it('refuses remote and relative $ref, $id and other dialects: nothing is fetched', () => {
      expect(
        refusal({
          $schema: 'http://json-schema.org/draft-07/schema#',
          properties: {
            a: { $ref: 'https://attacker.example/schema.json' },
            b: { $ref: 'other.json#/x' },
            c: { $id: 'https://x.example/c' },
          },
        }),
      ).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ pointer: '/$schema', keyword: '$schema' }),
          expect.objectContaining({ pointer: '/properties/a/$ref', keyword: '$ref' }),
          expect.objectContaining({ pointer: '/properties/b/$ref', keyword: '$ref' }),
          expect.objectContaining({ pointer: '/properties/c/$id', keyword: '$id' }),
        ]),
      );
    });

    it('refuses a huge or deep schema, and uniqueItems without a small maxItems', () => {
      const huge = { type: 'object', description: 'x'.repeat(MAX_SCHEMA_BYTES) };
      expect(refusal(huge)).toEqual([expect.objectContaining({ pointer: '', keyword: 'maxSize' })]);
      let deep: Record<string, unknown> = { type: 'string' };
      for (let i = 0; i < 10_000; i += 1) deep = { items: deep };
      expect(refusal(deep)).toEqual([
        expect.objectContaining({
          pointer: '/items'.repeat(MAX_SCHEMA_DEPTH + 1),
          keyword: 'maxDepth',
        }),
      ]);
      expect(refusal({ type: 'array', uniqueItems: true })).toEqual([
        expect.objectContaining({ pointer: '/uniqueItems', keyword: 'uniqueItems' }),
      ]);
      expect(compileEventSchema({ type: 'array', uniqueItems: true, maxItems: 100 }).ok).toBe(true);
      const patterns = Object.fromEntries(
        Array.from({ length: MAX_SCHEMA_PATTERNS + 1 }, (_, i) => [`p${i}`, { pattern: `^${i}` }]),
      );
      expect(refusal({ properties: patterns })).toEqual([
        expect.objectContaining({ pointer: '', keyword: 'maxPatterns' }),
      ]);
      // A property named like a data keyword is still a schema, checked like any other.
      expect(refusal({ properties: { enum: { uniqueItems: true } } })).toEqual([
        expect.objectContaining({ pointer: '/properties/enum/uniqueItems' }),
      ]);
    });

    it('keeps one schema from seeing another: each has its own validator', () => {
      const a = compiled({ $defs: { x: { type: 'number' } }, $ref: '#/$defs/x' });
      const b = compiled({ $defs: { x: { type: 'string' } }, $ref: '#/$defs/x' });
      expect(a.validate(1)).toBeUndefined();
      expect(b.validate('s')).toBeUndefined();
      expect(b.validate(1)).toBeDefined();
    });
  });
});
