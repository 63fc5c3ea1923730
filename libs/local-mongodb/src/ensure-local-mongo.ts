import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { mongo } from 'mongoose';
import { withDatabase } from './database-uri';
import { startLocalMongo, type LocalMongo } from './local-mongodb';

/** Where `npm start` keeps its embedded database between runs. */
export const LOCAL_DB_PATH = '.data/mongodb';
export const LOCAL_PORT = 27027;
const LOCAL_URI = `mongodb://127.0.0.1:${LOCAL_PORT}/notify?replicaSet=rs0`;
const RACE_WAIT_MS = 30_000;
const RACE_POLL_MS = 500;

/**
 * Where `npm start`'s embedded MongoDB keeps its data (the banner says so before it starts).
 */
export function localDataLocation(): string {
  return `${resolve(LOCAL_DB_PATH)} (the embedded MongoDB on 127.0.0.1:${LOCAL_PORT})`;
}

/**
 * The embedded local MongoDB of `npm start` (and of `start:api`/`start:notifier` without
 * MONGODB_URI): reused when another process of ours (say the API, when the notifier starts
 * second) already runs it, else started here. Its `stop()` stops only one started here.
 */
export async function ensureLocalMongo(): Promise<LocalMongo> {
  if (await answers(LOCAL_URI)) return { uri: LOCAL_URI, stop: () => Promise.resolve() };
  const logger = new Logger('LocalMongoDB');
  logger.log('MONGODB_URI is not set: starting a local MongoDB');
  let local: LocalMongo;
  try {
    local = await startLocalMongo({
      dbPath: LOCAL_DB_PATH,
      port: LOCAL_PORT,
      log: (line) => logger.log(line),
    });
  } catch (error) {
    // The API and a notifier started side by side: the other one won the race to start it.
    if (await answersWithin(LOCAL_URI, RACE_WAIT_MS)) {
      return { uri: LOCAL_URI, stop: () => Promise.resolve() };
    }
    throw error;
  }
  logger.log(`local MongoDB at ${local.uri} (data in ${LOCAL_DB_PATH})`);
  return { uri: withDatabase(local.uri, 'notify'), stop: () => local.stop() };
}

async function answersWithin(uri: string, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    if (await answers(uri)) return true;
    await sleep(RACE_POLL_MS);
  }
  return false;
}

async function answers(uri: string): Promise<boolean> {
  const client = new mongo.MongoClient(uri, { serverSelectionTimeoutMS: 500 });
  try {
    await client.db('admin').command({ ping: 1 });
    return true;
  } catch {
    return false;
  } finally {
    await client.close();
  }
}
