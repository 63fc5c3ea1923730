import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errors, type MongoMemoryServer } from 'mongodb-memory-server-core';
import { MongoInstanceEvents } from 'mongodb-memory-server-core/lib/util/MongoInstance';
import { mongo } from 'mongoose';
import { resolveBinary } from './binary/resolve-binary';
import { defaultCacheDir } from './local-mongodb';
import { stopStaleMongod } from './processes/stale-mongod';
import type { Log } from './shared/log';
import { startReplicaSet, stopReplicaSet } from './replica-set/replica-set';

/**
 * Several local mongods as one replica set, each on its own port and data folder, for tests of
 * what the platform does when a member fails: step the primary down, SIGKILL a member and start
 * it again on its port and data. Same builds and launcher as `startLocalMongo` (one member);
 * under wine each member is one mongod.exe, and the limitation noted in local-mongodb.ts holds.
 */
export interface LocalReplicaSet {
  /** Every member's host, as a production connection string names them. */
  readonly uri: string;
  readonly ports: readonly number[];
  /** The member that is primary now (waits for one to be elected). */
  primary(timeoutMs?: number): Promise<number>;
  /** Asks the primary to step down (an election follows); answers the member it was. */
  stepDown(): Promise<number>;
  /** SIGKILL, as a crash or a pulled plug: no shutdown, the data folder left as it was. */
  kill(member: number): Promise<void>;
  /** Starts a stopped or killed member again on its port and data folder. */
  restart(member: number): Promise<void>;
  stop(): Promise<void>;
}

export interface LocalReplicaSetOptions {
  /**
   * One empty data folder per member (kept after stop), which also sets the number of members.
   * A folder of an earlier replica set names members on other ports: the member would refuse it.
   */
  dbPaths: readonly string[];
  log?: (line: string) => void;
  cacheDir?: string;
}

const POLL_MS = 250;
const PRIMARY_TIMEOUT_MS = 60_000;
/** A stepped-down member stays ineligible this long, so the election picks another one. */
const STEP_DOWN_SECONDS = 60;
/**
 * MongoDB's default (mongodb-memory-server sets 500 ms): how long secondaries wait for a primary
 * that stopped answering before they elect another. Shorter ones call elections whenever a
 * member is slow to answer a heartbeat, as under wine on a busy machine.
 */
const ELECTION_TIMEOUT_MS = 10_000;
/**
 * Several members starting at once, or one killed with SIGKILL recovering its data before it
 * listens: under wine on a busy machine (the fault run's) that took from 65 s to over 90 s, the
 * single local MongoDB's launch timeout.
 */
const LAUNCH_TIMEOUT_MS = 300_000;
/**
 * A killed member that exits again while it starts is started again, as a supervisor would: a
 * CI fault run saw a wine mongod restarted after a SIGKILL exit at once with code 1.
 */
const RESTART_ATTEMPTS = 3;
/** The last lines a member printed, logged when it exits while starting. */
const OUTPUT_LINES = 30;

export async function startLocalReplicaSet(
  options: LocalReplicaSetOptions,
): Promise<LocalReplicaSet> {
  const log = options.log ?? (() => undefined);
  const resolved = await resolveBinary(options.cacheDir ?? defaultCacheDir(), log);
  const binary = {
    ...resolved,
    launchTimeoutMs: Math.max(resolved.launchTimeoutMs, LAUNCH_TIMEOUT_MS),
  };
  const dbPaths = options.dbPaths.map((path) => resolve(path));
  for (const dbPath of dbPaths) {
    await mkdir(dbPath, { recursive: true });
    await stopStaleMongod(dbPath, log);
  }
  log(`starting a ${dbPaths.length}-member replica set (data in ${dbPaths.join(', ')})`);
  const replSet = await startReplicaSet(
    binary,
    dbPaths.map((dbPath) => ({ dbPath })),
    { electionTimeoutMillis: ELECTION_TIMEOUT_MS },
  );
  const ports = replSet.servers.map((server) => server.instanceInfo!.port);
  const uri = replSet.getUri();
  log(`replica set ready at ${uri}`);

  const server = (member: number) => {
    const found = replSet.servers[member];
    if (found === undefined) throw new Error(`no replica set member ${member}`);
    return found;
  };
  const primary = async (timeoutMs = PRIMARY_TIMEOUT_MS): Promise<number> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const [member, port] of ports.entries()) {
        if (await isWritablePrimary(port)) return member;
      }
      if (Date.now() > deadline) throw new Error(`no primary within ${timeoutMs} ms`);
      await new Promise((settle) => setTimeout(settle, POLL_MS));
    }
  };
  let stopping: Promise<void> | undefined;
  return {
    uri,
    ports,
    primary,
    async stepDown() {
      const member = await primary();
      await adminCommand(ports[member]!, {
        replSetStepDown: STEP_DOWN_SECONDS,
        secondaryCatchUpPeriodSecs: 10,
      });
      return member;
    },
    async kill(member) {
      const instance = server(member).instanceInfo?.instance;
      const child = instance?.mongodProcess;
      if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      process.kill(child.pid, 'SIGKILL');
      await exited;
      // mongodb-memory-server keeps the handle of a mongod that died on its own and then refuses
      // to start it again; under wine, helpers may hold its pipes: let go of both.
      child.stdout?.destroy();
      child.stderr?.destroy();
      instance!.mongodProcess = undefined;
    },
    restart: (member) => startAgain(server(member), member, log),
    stop: () => (stopping ??= stopReplicaSet(replSet, binary)),
  };
}

/**
 * Starts a stopped or killed member on its port and data folder; when it exits while starting,
 * logs what it printed and starts it again.
 */
async function startAgain(server: MongoMemoryServer, member: number, log: Log): Promise<void> {
  const instance = server.instanceInfo?.instance;
  if (instance === undefined || instance.mongodProcess !== undefined) {
    throw new Error(`member ${member} is running`);
  }
  const output: string[] = [];
  const keep = (lines: string) => {
    output.push(...lines.split('\n'));
    output.splice(0, output.length - OUTPUT_LINES);
  };
  instance.on(MongoInstanceEvents.instanceSTDOUT, keep);
  instance.on(MongoInstanceEvents.instanceSTDERR, keep);
  try {
    for (let attempt = 1; ; attempt += 1) {
      await server.stop({ doCleanup: false });
      try {
        await server.start(true);
        return;
      } catch (error) {
        const exited =
          error instanceof errors.UnexpectedCloseError ||
          error instanceof errors.StdoutInstanceError;
        if (!exited) throw error;
        log(
          `member ${member + 1} exited while starting (attempt ${attempt} of ${RESTART_ATTEMPTS}: ${error.message}); its last output:\n${output.join('\n')}`,
        );
        if (attempt === RESTART_ATTEMPTS) throw error;
        // mongodb-memory-server keeps the handle of the exited mongod and refuses to start
        // another one.
        instance.mongodProcess = undefined;
        output.length = 0;
      }
    }
  } finally {
    instance.off(MongoInstanceEvents.instanceSTDOUT, keep);
    instance.off(MongoInstanceEvents.instanceSTDERR, keep);
  }
}

async function isWritablePrimary(port: number): Promise<boolean> {
  return adminCommand(port, { hello: 1 }).then(
    (hello) => hello.isWritablePrimary === true,
    () => false,
  );
}

async function adminCommand(port: number, command: mongo.Document): Promise<mongo.Document> {
  const client = new mongo.MongoClient(`mongodb://127.0.0.1:${port}/`, {
    directConnection: true,
    // A wine mongod on a busy machine can take seconds to answer.
    serverSelectionTimeoutMS: 15_000,
  });
  try {
    return await client.db('admin').command(command);
  } finally {
    await client.close();
  }
}
