import Ajv2020, { type ErrorObject, type ValidateFunction } from 'ajv/dist/2020';
import { Re2Engine } from './re2-engine';
import {
  escapePointerToken,
  MAX_REPORTED_FAILURES,
  type SchemaFailure,
  type SchemaFailures,
} from './schema-failure';
import { tenantSchemaFailures } from './tenant-schema-rules';

/** A schema whose compilation takes longer is refused when stored: every process compiles it. */
export const MAX_COMPILE_MS = 1_000;

/** Options every validator shares; tenant input never reaches a shared ajv instance. */
const OPTIONS = {
  allErrors: true,
  // `format` is an annotation (2020-12's default vocabulary), not asserted.
  validateFormats: false,
  // Unknown keywords are refused at PUT: a typo ("requried") would otherwise check nothing.
  strictSchema: true,
  strictTypes: false,
  strictTuples: false,
  strictRequired: false,
  // Never look at inherited properties of a payload.
  ownProperties: true,
  addUsedSchema: false,
} as const;

/** Checks schemas against the 2020-12 meta-schema; holds no tenant schema. */
const metaValidator = new Ajv2020({ ...OPTIONS, strictSchema: false });

/** A tenant's schema ready to check payloads; dispose() when it is no longer used. */
export interface CompiledSchema {
  validate(payload: unknown): SchemaFailures | undefined;
  dispose(): void;
}

export type CompileResult =
  { ok: true; schema: CompiledSchema; compileMs: number } | { ok: false; failures: SchemaFailures };

/**
 * Compiles a tenant's JSON Schema (2020-12), or says with pointers into the schema why it is not
 * one the platform takes: the tenant rules (tenantSchemaFailures), the meta-schema, then ajv's
 * own compilation. Each schema gets an ajv instance of its own, so nothing one app's schema
 * defines is seen by another's, and dropping the validator frees all it holds. ajv is never given
 * loadSchema: no `$ref` is fetched.
 */
export function compileEventSchema(schema: unknown): CompileResult {
  const refused = tenantSchemaFailures(schema);
  if (refused.length > 0) return { ok: false, failures: cut(refused) };
  if (!(metaValidator.validateSchema(schema as object) as boolean)) {
    return { ok: false, failures: cut((metaValidator.errors ?? []).map(schemaFailureOf)) };
  }
  const regExps = new Re2Engine();
  const started = performance.now();
  let validate: ValidateFunction;
  try {
    const ajv = new Ajv2020({
      ...OPTIONS,
      meta: false,
      validateSchema: false,
      code: { regExp: regExps.engine },
    });
    validate = ajv.compile(withoutMetaSchema(schema));
  } catch (error) {
    regExps.dispose();
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, failures: cut([{ pointer: '', keyword: 'compile', message }]) };
  }
  const compileMs = performance.now() - started;
  return {
    ok: true,
    compileMs,
    schema: {
      validate: (payload) =>
        validate(payload) ? undefined : cut((validate.errors ?? []).map(payloadFailureOf)),
      dispose: () => regExps.dispose(),
    },
  };
}

/** The root `$schema` (2020-12, checked already) is left out: the per-schema instance has no meta-schemas. */
function withoutMetaSchema(schema: unknown): object | boolean {
  if (typeof schema !== 'object' || schema === null) return schema as boolean;
  const rest = { ...(schema as Record<string, unknown>) };
  delete rest.$schema;
  return rest;
}

function cut(failures: SchemaFailure[]): SchemaFailures {
  return { failures: failures.slice(0, MAX_REPORTED_FAILURES), total: failures.length };
}

function schemaFailureOf(error: ErrorObject): SchemaFailure {
  return {
    pointer: error.instancePath,
    keyword: error.keyword,
    message: error.message ?? 'is invalid',
  };
}

/** The pointer names the property itself when one is missing or not allowed: "/amount", not "". */
function payloadFailureOf(error: ErrorObject): SchemaFailure {
  const params = error.params as Record<string, unknown>;
  const named = params.missingProperty ?? params.additionalProperty ?? params.unevaluatedProperty;
  const pointer =
    typeof named === 'string'
      ? `${error.instancePath}/${escapePointerToken(named)}`
      : error.instancePath;
  return { pointer, keyword: error.keyword, message: error.message ?? 'is invalid' };
}
