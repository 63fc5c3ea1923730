import { re2Refusal } from './re2-engine';
import { escapePointerToken, type SchemaFailure } from './schema-failure';

/** The largest schema stored, as JSON. */
export const MAX_SCHEMA_BYTES = 64 * 1024;
/** How deep a schema may nest (objects and arrays). */
export const MAX_SCHEMA_DEPTH = 32;
/** `uniqueItems` compares items pairwise: it needs a `maxItems` of at most this beside it. */
export const MAX_UNIQUE_ITEMS = 1_000;
/** Patterns (`pattern` and `patternProperties` keys) a schema may hold: each is an RE2 program to build. */
export const MAX_SCHEMA_PATTERNS = 100;
/** The only `$schema` accepted (at the root; none means it too). */
export const JSON_SCHEMA_2020_12 = 'https://json-schema.org/draft/2020-12/schema';

/** Keywords whose values are data, not schemas: nothing under them is read as a keyword. */
const DATA_KEYWORDS = new Set(['const', 'enum', 'default', 'examples']);
/** Keywords whose values map names to schemas: their keys are names, never keywords. */
const NAMED_SCHEMAS = new Set([
  'properties',
  'patternProperties',
  '$defs',
  'definitions',
  'dependentSchemas',
]);

/**
 * What the platform refuses in a tenant's schema before ajv sees it, each with a pointer into the
 * schema: anything that could make ajv reach outside the schema or make one payload's check run
 * away. A remote or relative `$ref` (only "#..." refers inside the schema; nothing is ever
 * fetched), `$id` (it would name the schema in a validator shared with other apps), a `$schema`
 * other than 2020-12, a pattern RE2 cannot run (lookaround, backreferences), `uniqueItems`
 * without a small `maxItems` (its check is quadratic), more than MAX_SCHEMA_PATTERNS patterns (each
 * is an RE2 program every process builds), and size and depth beyond the bounds.
 * Walks without recursion, so a deep schema cannot overflow the stack here.
 */
export function tenantSchemaFailures(schema: unknown): SchemaFailure[] {
  const seen = { patterns: 0 };
  const failures = walkFailures(schema, seen);
  // Measured once the depth is known to be bounded: JSON.stringify recurses.
  if (failures.some((failure) => failure.keyword === 'maxDepth')) return failures;
  const size = Buffer.byteLength(JSON.stringify(schema) ?? '', 'utf8');
  if (size > MAX_SCHEMA_BYTES) {
    return [
      {
        pointer: '',
        keyword: 'maxSize',
        message: `is ${size} bytes as JSON, more than the ${MAX_SCHEMA_BYTES} accepted`,
      },
    ];
  }
  if (seen.patterns > MAX_SCHEMA_PATTERNS) {
    failures.push({
      pointer: '',
      keyword: 'maxPatterns',
      message: `has ${seen.patterns} patterns (pattern, patternProperties), more than the ${MAX_SCHEMA_PATTERNS} accepted`,
    });
  }
  return failures;
}

/** `seen.patterns` counts the patterns met; past MAX_SCHEMA_PATTERNS they are no longer built. */
function walkFailures(schema: unknown, seen: { patterns: number }): SchemaFailure[] {
  const failures: SchemaFailure[] = [];
  // `names`: an object of NAMED_SCHEMAS, whose keys are names (a property may be called "enum").
  const stack: { value: unknown; pointer: string; depth: number; names?: boolean }[] = [
    { value: schema, pointer: '', depth: 0 },
  ];
  while (stack.length > 0) {
    const { value, pointer, depth, names = false } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth > MAX_SCHEMA_DEPTH) {
      failures.push({
        pointer,
        keyword: 'maxDepth',
        message: `nests deeper than ${MAX_SCHEMA_DEPTH} levels`,
      });
      continue;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) =>
        stack.push({ value: item, pointer: `${pointer}/${index}`, depth: depth + 1 }),
      );
      continue;
    }
    const object = value as Record<string, unknown>;
    if (!names) failures.push(...keywordFailures(object, pointer, seen));
    for (const [key, item] of Object.entries(object)) {
      if (!names && DATA_KEYWORDS.has(key)) continue;
      stack.push({
        value: item,
        pointer: `${pointer}/${escapePointerToken(key)}`,
        depth: depth + 1,
        names: !names && NAMED_SCHEMAS.has(key),
      });
    }
  }
  return failures;
}

function keywordFailures(
  schema: Record<string, unknown>,
  pointer: string,
  seen: { patterns: number },
): SchemaFailure[] {
  const failures: SchemaFailure[] = [];
  const at = (keyword: string) => `${pointer}/${escapePointerToken(keyword)}`;
  for (const keyword of ['$ref', '$dynamicRef']) {
    const ref = schema[keyword];
    if (typeof ref === 'string' && !ref.startsWith('#')) {
      failures.push({
        pointer: at(keyword),
        keyword,
        message: `must refer inside this schema ("#/$defs/..."): "${ref.slice(0, 200)}" would be fetched or resolved elsewhere, which the platform never does`,
      });
    }
  }
  if (typeof schema.$id === 'string') {
    failures.push({
      pointer: at('$id'),
      keyword: '$id',
      message:
        'is not accepted: a schema is named by its event type; refer to parts with "#/$defs/..." or $anchor',
    });
  }
  const metaSchema = schema.$schema;
  if (metaSchema !== undefined && (pointer !== '' || metaSchema !== JSON_SCHEMA_2020_12)) {
    failures.push({
      pointer: at('$schema'),
      keyword: '$schema',
      message: `must be "${JSON_SCHEMA_2020_12}", at the root only (or left out)`,
    });
  }
  const refusalOf = (pattern: string) =>
    ++seen.patterns > MAX_SCHEMA_PATTERNS ? undefined : re2Refusal(pattern);
  if (typeof schema.pattern === 'string') {
    const refusal = refusalOf(schema.pattern);
    if (refusal !== undefined) failures.push(patternFailure(at('pattern'), 'pattern', refusal));
  }
  const patternProperties = schema.patternProperties;
  if (typeof patternProperties === 'object' && patternProperties !== null) {
    for (const pattern of Object.keys(patternProperties)) {
      const refusal = refusalOf(pattern);
      if (refusal !== undefined) {
        const where = `${at('patternProperties')}/${escapePointerToken(pattern)}`;
        failures.push(patternFailure(where, 'patternProperties', refusal));
      }
    }
  }
  if (
    schema.uniqueItems === true &&
    !(typeof schema.maxItems === 'number' && schema.maxItems <= MAX_UNIQUE_ITEMS)
  ) {
    failures.push({
      pointer: at('uniqueItems'),
      keyword: 'uniqueItems',
      message: `needs "maxItems" of at most ${MAX_UNIQUE_ITEMS} beside it (checking it compares every pair of items)`,
    });
  }
  return failures;
}

function patternFailure(pointer: string, keyword: string, refusal: string): SchemaFailure {
  return {
    pointer,
    keyword,
    message: `is not a pattern the platform runs (RE2 syntax: no lookaround or backreferences): ${refusal}`,
  };
}
