import { idempotentMessageId } from '@app/contracts';
import { InvalidMessageError } from './errors';
import { platformMessageId, validateMessage } from './message-id';

describe('platformMessageId', () => {
  it("is the platform's own derivation (ADR 0002), not a copy", () => {
    expect(platformMessageId).toBe(idempotentMessageId);
  });
});

describe('validateMessage', () => {
  it('passes a message of the intake contract', () => {
    expect(validateMessage({ eventType: 'order.paid', payload: { id: 1 } })).toEqual({
      eventType: 'order.paid',
      payload: { id: 1 },
    });
  });

  it('names every problem of one that would be dead-lettered', () => {
    const invalid = { eventType: 'order paid', payload: [] } as never;
    expect(() => validateMessage(invalid)).toThrow(InvalidMessageError);
    try {
      validateMessage(invalid);
    } catch (error) {
      expect((error as InvalidMessageError).problems).toEqual([
        expect.stringContaining('eventType'),
        expect.stringContaining('payload'),
      ]);
    }
  });
});
