import { bannerLogMessage, renderBanner } from './banner';

describe('renderBanner', () => {
  const facts = {
    apiUrl: 'http://127.0.0.1:3000',
    adminKey: 'admin_abc',
    adminKeyGenerated: true,
    mongoData: '/srv/notify/.data/mongodb (the embedded MongoDB on 127.0.0.1:27027)',
  };

  it('shows the URLs, the generated admin key and where the data is, aligned', () => {
    expect(renderBanner(facts).split('\n')).toEqual([
      'notify platform',
      '  API           http://127.0.0.1:3000  (OpenAPI at http://127.0.0.1:3000/docs)',
      '  console       http://127.0.0.1:3000/console',
      '  admin key     admin_abc  (generated for this run; set ADMIN_API_KEY to keep one)',
      '  MongoDB data  /srv/notify/.data/mongodb (the embedded MongoDB on 127.0.0.1:27027)',
      '',
    ]);
  });

  it('does not repeat a key the operator set', () => {
    const banner = renderBanner({ ...facts, adminKey: 'set-by-you', adminKeyGenerated: false });
    expect(banner).not.toContain('set-by-you');
    expect(banner).toContain('the ADMIN_API_KEY you set');
  });

  it('gives JSON logs the same facts on one line', () => {
    expect(bannerLogMessage(facts)).toBe(
      'notify platform: API http://127.0.0.1:3000 (OpenAPI at http://127.0.0.1:3000/docs); console http://127.0.0.1:3000/console; admin key admin_abc (generated for this run; set ADMIN_API_KEY to keep one); MongoDB data /srv/notify/.data/mongodb (the embedded MongoDB on 127.0.0.1:27027)',
    );
  });
});
