import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { mongo } from 'mongoose';
import type { ServiceProcess } from '../support/service-process';

/** What the chaos suite's runs share: keys, logging, the API client, the process logs. */

export const ADMIN_KEY = 'chaos-admin-key-0123456789';
export const SECRETS_KEY = Buffer.alloc(32, 9).toString('base64');

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const log = (line: string) => process.stdout.write(`chaos: ${line}\n`);

export interface ApiAnswer {
  status: number;
  body: any;
}

/** One JSON request to the API, bounded so that a hanging answer counts as none. */
export function apiClient(baseUrl: string) {
  return async (
    method: string,
    path: string,
    token: string,
    body?: unknown,
  ): Promise<ApiAnswer> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    return { status: response.status, body: await response.json() };
  };
}

/** Keeps every process's output under <tmp>/<dir> and kills what still runs. */
export async function keepLogsAndKill(processes: readonly ServiceProcess[], dir: string) {
  const logDir = join(tmpdir(), dir);
  await mkdir(logDir, { recursive: true });
  for (const child of processes) {
    await writeFile(join(logDir, `${child.name}.log`), child.logs);
    await child.stop('SIGKILL');
  }
  log(`process logs in ${logDir}`);
}

/** The ids of an app's stored messages, as MongoDB holds them. */
export async function storedMessageIds(db: mongo.Db, appId: string): Promise<Set<string>> {
  const messages = db.collection<{ _id: string }>('messages');
  const found = await messages.find({ appId }, { projection: { _id: 1 } }).toArray();
  return new Set(found.map((m) => m._id));
}
