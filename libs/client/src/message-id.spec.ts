import { idempotentMessageId } from '@app/common';
import { InvalidMessageError } from './errors';
import { platformMessageId, validateMessage } from './message-id';

describe('platformMessageId', () => {
  it('is the id the notifier stores a keyed message under (ADR 0002)', () => {
    for (const [app, key] of [
      ['app_1', 'order-42'],
      ['app_0195', 'obx_0195ab'],
      ['a', ''],
    ] as const) {
      expect(platformMessageId(app, key)).toBe(idempotentMessageId(app, key));
    }
  });

  it('differs between apps for one key', () => {
    expect(platformMessageId('app_1', 'k')).not.toBe(platformMessageId('app_2', 'k'));
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
