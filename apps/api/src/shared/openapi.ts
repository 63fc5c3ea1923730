import { applyDecorators } from '@nestjs/common';
import { ApiBody, ApiParam, ApiQuery, ApiResponse, type SchemaObject } from '@nestjs/swagger';
import type { z } from 'zod';
import { zodToJsonSchema } from 'zod-to-json-schema';
import { errorBodySchema, type ErrorBody } from '@app/contracts';

// Typed loosely on purpose: comparing the library's generic signature is too deep for tsc.
const toJsonSchema = zodToJsonSchema as unknown as (
  schema: unknown,
  options: object,
) => SchemaObject;

/**
 * OpenAPI from the zod contracts, so a schema is written once: request schemas are what the edge
 * parses (the input side of transforms), response schemas what the presenters are typed with.
 */
export function openApiSchema(schema: z.ZodTypeAny, side: 'input' | 'output'): SchemaObject {
  return toJsonSchema(schema, {
    target: 'openApi3',
    $refStrategy: 'none',
    effectStrategy: 'input',
    pipeStrategy: side,
    // Only `.strict()` contracts refuse unknown fields; the others ignore them.
    removeAdditionalStrategy: 'strict',
  });
}

export function ApiJsonBody(schema: z.ZodTypeAny, example: unknown, description?: string) {
  return ApiBody({
    required: true,
    ...(description === undefined ? {} : { description }),
    schema: { ...openApiSchema(schema, 'input'), example },
  });
}

/** One query parameter per property of the query contract. */
export function ApiJsonQuery(schema: z.ZodTypeAny) {
  const object = openApiSchema(schema, 'input');
  const required = new Set(object.required ?? []);
  return applyDecorators(
    ...Object.entries(object.properties ?? {}).map(([name, property]) =>
      ApiQuery({
        name,
        required: required.has(name),
        schema: property as SchemaObject,
        ...('description' in property && property.description !== undefined
          ? { description: property.description }
          : {}),
      }),
    ),
  );
}

export function ApiJsonResponse(
  status: number,
  description: string,
  schema?: z.ZodTypeAny,
  example?: unknown,
) {
  return ApiResponse({
    status,
    description,
    ...(schema === undefined
      ? {}
      : {
          schema: {
            ...openApiSchema(schema, 'output'),
            ...(example === undefined ? {} : { example }),
          },
        }),
  });
}

export function ApiId(name: string, description: string) {
  return ApiParam({ name, description, schema: { type: 'string' } });
}

const ERROR_DESCRIPTIONS: Record<number, [string, ErrorBody['error']]> = {
  400: [
    'Invalid input: details name each bad field',
    {
      code: 'validation_failed',
      message: 'The request body is invalid: check url',
      details: [{ field: 'url', message: 'must use http: or https:' }],
    },
  ],
  401: [
    'No or unknown credentials',
    {
      code: 'unauthorized',
      message: 'Unknown credentials: check the key or token',
      details: [],
    },
  ],
  403: [
    'Known credentials without the right to this route',
    {
      code: 'forbidden',
      message: 'This route needs an app key; these credentials are a recipient token',
      details: [],
    },
  ],
  404: [
    "Not found, or another app's",
    { code: 'not_found', message: 'Message msg_0193... does not exist', details: [] },
  ],
  409: [
    'Conflicts with the current state',
    {
      code: 'conflict',
      message: 'Only webhook endpoints have a signing secret',
      details: [],
    },
  ],
  413: [
    'Body over 256 KiB',
    {
      code: 'payload_too_large',
      message: 'The request body is larger than 256 KiB: send a smaller payload',
      details: [],
    },
  ],
  429: [
    'Over a quota or limit: error.code names it; retry after the Retry-After header (seconds)',
    {
      code: 'messages_per_second_exceeded',
      message:
        "This app may publish 1000 messages per second (quota messagesPerSecond): retry after the Retry-After header's seconds, or ask an admin for a higher quota",
      details: [],
    },
  ],
  503: [
    'A dependency (MongoDB, RabbitMQ) is down: retry shortly',
    {
      code: 'dependency_unavailable',
      message: 'RabbitMQ is unavailable (publish not confirmed); retry shortly',
      details: [],
    },
  ],
};

/** The contract's error shape, for each status a route can answer with. */
export function ApiErrors(...statuses: (keyof typeof ERROR_DESCRIPTIONS)[]) {
  return applyDecorators(
    ...statuses.map((status) => {
      const [description, error] = ERROR_DESCRIPTIONS[status]!;
      return ApiJsonResponse(status, description, errorBodySchema, { error });
    }),
  );
}
