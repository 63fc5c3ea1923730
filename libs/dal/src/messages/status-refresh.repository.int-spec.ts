import type { Connection } from 'mongoose';
import { testDatabaseUri } from '../../../../test/support/test-database';
import { openConnection } from '../connection';
import type { StatusRefreshEntity } from './status-refresh.entity';
import { StatusRefreshRepository } from './status-refresh.repository';

const T0 = new Date('2026-12-04T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

describe('owed status refreshes (real MongoDB)', () => {
  let connection: Connection;
  let repository: StatusRefreshRepository;

  beforeAll(async () => {
    connection = await openConnection(testDatabaseUri('test_owed'));
    repository = new StatusRefreshRepository(
      connection.model<StatusRefreshEntity>('StatusRefresh'),
    );
  });
  afterAll(async () => {
    await connection.dropDatabase();
    await connection.close();
  });
  beforeEach(async () => {
    await connection.collection('status_refreshes').deleteMany({});
  });

  it('keeps what a stopped notifier owed for the repair, oldest first, once old enough', async () => {
    await repository.owe({ _id: 'w_a:2', messageIds: ['msg_2'] }, at(10));
    await repository.owe({ _id: 'w_a:1', messageIds: ['msg_1', 'msg_3'] }, at(5));

    expect(await repository.findLeftBefore(at(20), 10)).toEqual([
      { _id: 'w_a:1', messageIds: ['msg_1', 'msg_3'], writtenAt: at(5) },
      { _id: 'w_a:2', messageIds: ['msg_2'], writtenAt: at(10) },
    ]);
    expect(await repository.findLeftBefore(at(10), 10)).toHaveLength(1);
    expect(await repository.findLeftBefore(at(5), 10)).toEqual([]);
  });

  it('owes a batch written again once, dated again', async () => {
    await repository.owe({ _id: 'w_a:1', messageIds: ['msg_1'] }, at(5));
    await repository.owe({ _id: 'w_a:1', messageIds: ['msg_1'] }, at(8));

    expect(await repository.findLeftBefore(at(20), 10)).toEqual([
      { _id: 'w_a:1', messageIds: ['msg_1'], writtenAt: at(8) },
    ]);
  });

  it('settles an entry only as it was read: not one its batch wrote again since', async () => {
    const settled = await repository.owe({ _id: 'w_a:1', messageIds: ['msg_1'] }, at(5));
    const first = await repository.owe({ _id: 'w_a:2', messageIds: ['msg_2'] }, at(5));
    // The repair read w_a:2; meanwhile its writer retried the batch, whose outcomes may land
    // after the repair's refresh.
    await repository.owe({ _id: 'w_a:2', messageIds: ['msg_2'] }, at(9));

    await repository.settle([settled, first]);

    expect(await repository.findLeftBefore(at(20), 10)).toEqual([
      { _id: 'w_a:2', messageIds: ['msg_2'], writtenAt: at(9) },
    ]);
  });
});
