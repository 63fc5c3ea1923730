import { bearerMatches } from './metrics-token';

describe('bearerMatches', () => {
  it('lets every scrape in when no token is set', () => {
    expect(bearerMatches(undefined, undefined)).toBe(true);
    expect(bearerMatches('Bearer anything', undefined)).toBe(true);
  });

  it('wants exactly the token as a bearer credential when one is set', () => {
    expect(bearerMatches('Bearer metrics-token-0123456789', 'metrics-token-0123456789')).toBe(true);
    expect(bearerMatches('bearer metrics-token-0123456789', 'metrics-token-0123456789')).toBe(true);
    expect(bearerMatches(undefined, 'metrics-token-0123456789')).toBe(false);
    expect(bearerMatches('Bearer metrics-token-01234567', 'metrics-token-0123456789')).toBe(false);
    expect(bearerMatches('metrics-token-0123456789', 'metrics-token-0123456789')).toBe(false);
    expect(bearerMatches('Basic bWV0cmljcw==', 'metrics-token-0123456789')).toBe(false);
  });
});
