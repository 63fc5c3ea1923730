import { batchIds, MAX_LOGGED_IDS } from './batch-ids';

const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}_${i}`);

describe('batchIds', () => {
  it('lists every id of a small batch, with its size', () => {
    expect(batchIds({ deliveryIds: ['dlv_1', 'dlv_2'], messageIds: ['msg_1', 'msg_1'] })).toEqual({
      deliveryIds: ['dlv_1', 'dlv_2'],
      messageIds: ['msg_1'],
      count: 2,
    });
  });

  it('cuts each list to the first ones and still counts them all', () => {
    const fields = batchIds({ deliveryIds: ids('dlv', 500), messageIds: ids('msg', 30) });
    expect(fields.deliveryIds).toEqual(ids('dlv', MAX_LOGGED_IDS));
    expect(fields.messageIds).toEqual(ids('msg', MAX_LOGGED_IDS));
    expect(fields.count).toBe(500);
  });

  it('gives an empty batch empty lists', () => {
    expect(batchIds({ deliveryIds: [] })).toEqual({ deliveryIds: [], count: 0 });
  });
});
