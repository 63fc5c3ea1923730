import {
  inboxQuerySchema,
  listMessagesQuerySchema,
  recoverEndpointSchema,
  recoverResultSchema,
} from '@app/contracts';
import { openApiSchema } from './openapi';

describe('openApiSchema', () => {
  it('describes a request body by what the edge accepts', () => {
    const schema = openApiSchema(recoverEndpointSchema, 'input');
    expect(schema).toMatchObject({
      type: 'object',
      required: ['since'],
      additionalProperties: false,
      properties: {
        since: { type: 'string', format: 'date-time' },
        until: { type: 'string', format: 'date-time' },
        dryRun: { type: 'boolean', default: false },
      },
    });
  });

  it('describes query parameters with their bounds and enums', () => {
    const messages = openApiSchema(listMessagesQuerySchema, 'input');
    expect(messages.properties?.limit).toMatchObject({ minimum: 1, maximum: 500, default: 50 });
    expect(messages.properties?.status).toMatchObject({
      enum: ['pending', 'delivered', 'failed', 'no_endpoints'],
    });
    const inbox = openApiSchema(inboxQuerySchema, 'input');
    expect(Object.keys(inbox.properties ?? {}).sort()).toEqual(
      ['after', 'cursor', 'limit', 'since', 'status'].sort(),
    );
  });

  it('describes a response', () => {
    expect(openApiSchema(recoverResultSchema, 'output')).toMatchObject({
      type: 'object',
      required: ['count'],
      properties: { count: { type: 'integer' } },
    });
  });
});
