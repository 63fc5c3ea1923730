import { heapGrowthFlag } from './heap-growth';

describe('heapGrowthFlag', () => {
  it('bounds how far the heap grows between full collections', () => {
    expect(heapGrowthFlag([])).toBe('--heap-growing-percent=100');
    expect(heapGrowthFlag(['--enable-source-maps'])).toBe('--heap-growing-percent=100');
  });

  it("leaves the operator's own --heap-growing-percent alone", () => {
    expect(heapGrowthFlag(['--heap-growing-percent=300'])).toBeUndefined();
    expect(heapGrowthFlag(['--heap_growing_percent', '50'])).toBeUndefined();
  });
});
