import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Where an InboxFollower keeps its position (the last non-null `nextCursor`). */
export interface CursorStore {
  load(): Promise<string | undefined>;
  save(cursor: string): Promise<void>;
}

export class MemoryCursorStore implements CursorStore {
  constructor(private cursor?: string) {}

  load(): Promise<string | undefined> {
    return Promise.resolve(this.cursor);
  }

  save(cursor: string): Promise<void> {
    this.cursor = cursor;
    return Promise.resolve();
  }
}

/** A cursor in a small file, replaced atomically (write a temporary file, then rename). */
export class FileCursorStore implements CursorStore {
  constructor(private readonly path: string) {}

  async load(): Promise<string | undefined> {
    try {
      const text = (await readFile(this.path, 'utf8')).trim();
      return text === '' ? undefined : text;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async save(cursor: string): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const temporary = `${this.path}.${process.pid}.tmp`;
    await writeFile(temporary, `${cursor}\n`, 'utf8');
    await rename(temporary, this.path);
  }
}
