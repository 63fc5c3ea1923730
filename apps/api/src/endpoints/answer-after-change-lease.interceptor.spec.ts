import type { ExecutionContext } from '@nestjs/common';
import { CHANGE_LEASE_MS } from '@app/common';
import { of, throwError, type Observable } from 'rxjs';
import { AnswerAfterChangeLease } from './answer-after-change-lease.interceptor';

/** What the client gets from a handler that answers `handled`, as it arrives. */
function answered(handled: Observable<unknown>) {
  const got: { answer?: unknown; error?: unknown; done: boolean } = { done: false };
  new AnswerAfterChangeLease()
    .intercept({} as ExecutionContext, { handle: () => handled })
    .subscribe({
      next: (answer) => (got.answer = answer),
      error: (error: unknown) => (got.error = error),
      complete: () => (got.done = true),
    });
  return got;
}

describe('AnswerAfterChangeLease', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('answers a change CHANGE_LEASE_MS after the handler made it, unchanged', () => {
    const got = answered(of({ id: 'ep_1' }));
    jest.advanceTimersByTime(CHANGE_LEASE_MS - 1);
    expect(got).toEqual({ done: false });
    jest.advanceTimersByTime(1);
    expect(got).toEqual({ answer: { id: 'ep_1' }, done: true });
  });

  it('answers an error at once: it promised nothing', () => {
    const refused = new Error('not found');
    expect(answered(throwError(() => refused))).toEqual({ error: refused, done: false });
  });
});
