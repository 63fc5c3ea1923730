import { byId, groupBy } from './group-by';

describe('groupBy', () => {
  it('keeps the order of the items within a group and of the keys as they first appear', () => {
    const items = [
      { app: 'b', n: 1 },
      { app: 'a', n: 2 },
      { app: 'b', n: 3 },
    ];
    const groups = groupBy(items, (item) => item.app);
    expect([...groups.keys()]).toEqual(['b', 'a']);
    expect(groups.get('b')!.map((item) => item.n)).toEqual([1, 3]);
    expect(groups.get('a')!.map((item) => item.n)).toEqual([2]);
  });

  it('gives no group for no items', () => {
    expect(groupBy([], String).size).toBe(0);
  });
});

describe('byId', () => {
  it('finds each entity by its id', () => {
    const map = byId([{ _id: 'ep_1' }, { _id: 'ep_2' }]);
    expect(map.get('ep_2')).toEqual({ _id: 'ep_2' });
    expect(map.size).toBe(2);
  });
});
