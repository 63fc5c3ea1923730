import { waitingApps } from './waiting-apps';

describe('waitingApps', () => {
  it('counts the apps read up to their room and those with a delivery the claim could not take', () => {
    const waiting = waitingApps({ appsWithMore: ['app_a'] }, [], new Set(['app_b']), []);
    expect([...waiting].sort()).toEqual(['app_a', 'app_b']);
  });

  it('keeps an app left out for want of room only if it was waiting before', () => {
    const waiting = waitingApps({ appsWithMore: [] }, ['app_full', 'app_new'], new Set(), [
      'app_full',
      'app_served',
    ]);
    expect([...waiting]).toEqual(['app_full']);
  });

  it('drops an app that was waiting and was served in full', () => {
    expect(waitingApps({ appsWithMore: [] }, [], new Set(), ['app_served']).size).toBe(0);
  });
});
