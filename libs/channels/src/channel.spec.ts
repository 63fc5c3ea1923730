import { RESPONSE_EXCERPT_BYTES, responseExcerpt } from './channel';

describe('responseExcerpt', () => {
  it('keeps a short response whole', () => {
    expect(responseExcerpt('ok')).toBe('ok');
    expect(responseExcerpt('')).toBe('');
    expect(responseExcerpt('a'.repeat(RESPONSE_EXCERPT_BYTES))).toHaveLength(1_024);
  });

  it('cuts ASCII at 1 KiB', () => {
    expect(responseExcerpt('a'.repeat(5_000))).toBe('a'.repeat(1_024));
  });

  it('counts bytes, not characters, and never cuts a character in half', () => {
    const excerpt = responseExcerpt('通'.repeat(1_000)); // 3 bytes each
    expect(excerpt).toBe('通'.repeat(341));
    expect(Buffer.byteLength(excerpt)).toBe(1_023);
  });

  it('cuts before a 4-byte character that straddles the limit', () => {
    const excerpt = responseExcerpt(`${'a'.repeat(1_022)}🚀 and more`);
    expect(excerpt).toBe('a'.repeat(1_022));
  });

  it('keeps a character that ends exactly at the limit', () => {
    const excerpt = responseExcerpt(`${'a'.repeat(1_020)}🚀b`);
    expect(excerpt).toBe(`${'a'.repeat(1_020)}🚀`);
  });
});
