import { resolve } from 'node:path';
import { Logger } from '@nestjs/common';
import { mongo } from 'mongoose';
import { startLocalMongo, type LocalMongo } from './local-mongodb/local-mongodb';

export interface MongoHandle {
  uri: string;
  stop(): Promise<void>;
}

/** Where `npm start` keeps its embedded database between runs. */
const LOCAL_DB_PATH = '.data/mongodb';
const LOCAL_PORT = 27027;
const LOCAL_URI = `mongodb://127.0.0.1:${LOCAL_PORT}/notify?replicaSet=rs0`;
const RACE_WAIT_MS = 30_000;

/**
 * Where the data is, known before anything starts (the banner of `npm start`): the embedded
 * MongoDB's directory, or the server of MONGODB_URI (its password masked).
 */
export function mongoDataLocation(configuredUri: string | undefined): string {
  if (configuredUri !== undefined) {
    return `kept by the server of MONGODB_URI, ${configuredUri.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@')}`;
  }
  return `${resolve(LOCAL_DB_PATH)} (the embedded MongoDB on 127.0.0.1:${LOCAL_PORT})`;
}

/**
 * MONGODB_URI when it is set. Otherwise the embedded local MongoDB: reused when another process
 * of ours (say the API, when the notifier starts second) already runs it, else started here.
 */
export async function ensureMongo(configuredUri: string | undefined): Promise<MongoHandle> {
  if (configuredUri !== undefined) return { uri: configuredUri, stop: () => Promise.resolve() };
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
    await new Promise((resolve) => setTimeout(resolve, 500));
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

function withDatabase(uri: string, database: string): string {
  const url = new URL(uri);
  if (url.pathname === '' || url.pathname === '/') url.pathname = `/${database}`;
  return url.toString();
}
