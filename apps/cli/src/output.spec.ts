import { renderFields, renderTable, truncate } from './output';

describe('renderTable', () => {
  it('pads each column to its widest cell and leaves no trailing spaces', () => {
    expect(
      renderTable(
        ['ID', 'STATUS', 'ERROR'],
        [
          ['dlv_1', 'succeeded', '-'],
          ['dlv_22', 'failed', 'HTTP 500'],
        ],
      ),
    ).toBe(
      ['ID      STATUS     ERROR', 'dlv_1   succeeded  -', 'dlv_22  failed     HTTP 500'].join(
        '\n',
      ),
    );
  });
});

describe('renderFields', () => {
  it('aligns the values', () => {
    expect(
      renderFields([
        ['id', 'msg_1'],
        ['event type', 'order.paid'],
      ]),
    ).toBe('id          msg_1\nevent type  order.paid');
  });
});

describe('truncate', () => {
  it('keeps short text, folds whitespace and cuts long text with an ellipsis', () => {
    expect(truncate('a\n b', 10)).toBe('a b');
    expect(truncate('abcdefghij', 5)).toBe('abcd…');
  });
});
