import { idempotentMessageId, isAppMessageId, newAppMessageId } from './message-id';

const APP = 'app_0192f0c4a1b27c3d8e9f00112233aabb';
const OTHER = 'app_0192f0c4a1b27c3d8e9f00112233ccdd';

describe('message ids derived from an idempotency key', () => {
  it('stay what producers already computed (ADR 0002): stored ids depend on it', () => {
    expect(idempotentMessageId('app_1', 'order-42')).toBe('msg_cfbe92ca6de9447a174b7bc752f58f60');
    expect(idempotentMessageId('a', '')).toBe('msg_ffe9aaeaa2a2d5048174df0b80599ef0');
  });

  it('differ between apps for one key', () => {
    expect(idempotentMessageId('app_1', 'k')).not.toBe(idempotentMessageId('app_2', 'k'));
  });
});

describe('message ids bound to their app', () => {
  it('makes a new random id of the usual shape each time', () => {
    const id = newAppMessageId(APP);
    expect(id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(newAppMessageId(APP)).not.toBe(id);
  });

  it('recognises an id made for the app, and only for that app', () => {
    const id = newAppMessageId(APP);
    expect(isAppMessageId(APP, id)).toBe(true);
    expect(isAppMessageId(OTHER, id)).toBe(false);
  });

  it("does not take another app's key-derived id, nor a malformed one", () => {
    expect(isAppMessageId(APP, idempotentMessageId(OTHER, 'order-1'))).toBe(false);
    expect(isAppMessageId(APP, `${newAppMessageId(APP)}0`)).toBe(false);
    expect(isAppMessageId(APP, 'msg_1')).toBe(false);
  });
});
