import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCursorStore } from './cursor-store';

describe('FileCursorStore', () => {
  let dir: string;
  beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'cursor-'))));
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('has no cursor before the first save, then the last one saved, across instances', async () => {
    const path = join(dir, 'nested', 'cursor');
    expect(await new FileCursorStore(path).load()).toBeUndefined();
    await new FileCursorStore(path).save('c1');
    await new FileCursorStore(path).save('c2');
    expect(await new FileCursorStore(path).load()).toBe('c2');
    expect(await readFile(path, 'utf8')).toBe('c2\n');
  });
});
