import { continuesMessageTrace } from './pipeline-spans';

const delivery = {
  _id: 'dlv_1',
  appId: 'app_1',
  messageId: 'msg_1',
  endpointId: 'ep_1',
  channel: 'webhook',
  attemptCount: 0,
};

describe('continuesMessageTrace', () => {
  it("continues the message's trace with the first attempt", () => {
    expect(continuesMessageTrace(delivery)).toBe(true);
  });

  it('starts a linked trace for a retry, hours later or not', () => {
    expect(continuesMessageTrace({ ...delivery, attemptCount: 1 })).toBe(false);
    expect(continuesMessageTrace({ ...delivery, attemptCount: 8 })).toBe(false);
  });

  it("starts a linked trace for a fallback's first attempt: its primary failed first", () => {
    expect(continuesMessageTrace({ ...delivery, fallbackFor: 'dlv_0' })).toBe(false);
  });
});
