import { messageStatusOf } from './status-of-deliveries';

describe('messageStatusOf', () => {
  it('is pending while any delivery is pending or held', () => {
    expect(messageStatusOf(['succeeded', 'pending', 'failed'])).toBe('pending');
    expect(messageStatusOf(['held', 'failed'])).toBe('pending');
  });

  it('is failed once every delivery ended and one failed', () => {
    expect(messageStatusOf(['succeeded', 'failed', 'cancelled'])).toBe('failed');
  });

  it('is delivered when every delivery succeeded or was cancelled', () => {
    expect(messageStatusOf(['succeeded', 'cancelled'])).toBe('delivered');
    expect(messageStatusOf(['cancelled'])).toBe('delivered');
  });

  it('is no_endpoints without deliveries', () => {
    expect(messageStatusOf([])).toBe('no_endpoints');
  });
});
