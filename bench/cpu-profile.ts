import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** The parts of a V8 .cpuprofile (what `node --cpu-prof` writes) this summary reads. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileLine {
  name: string;
  selfMs: number;
  share: number;
}

/** Self time by function and by package (node_modules/<pkg>, our own dist files, node internals). */
export async function summarizeProfiles(
  dir: string,
  top = 15,
): Promise<{ file: string; totalMs: number; functions: ProfileLine[]; packages: ProfileLine[] }[]> {
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.cpuprofile'));
  const summaries = [];
  for (const file of files) {
    const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
    const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
    const byFunction = new Map<string, number>();
    const byPackage = new Map<string, number>();
    let totalUs = 0;
    profile.samples.forEach((nodeId, index) => {
      const deltaUs = profile.timeDeltas[index] ?? 0;
      totalUs += deltaUs;
      const frame = frames.get(nodeId);
      if (frame === undefined) return;
      const where = shortUrl(frame.url);
      const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
      byFunction.set(name, (byFunction.get(name) ?? 0) + deltaUs);
      const pkg = packageOf(frame.url, frame.functionName);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + deltaUs);
    });
    const lines = (map: Map<string, number>) =>
      [...map]
        .sort((a, b) => b[1] - a[1])
        .slice(0, top)
        .map(([name, us]) => ({ name, selfMs: us / 1000, share: us / totalUs }));
    summaries.push({
      file,
      totalMs: totalUs / 1000,
      functions: lines(byFunction),
      packages: lines(byPackage),
    });
  }
  return summaries;
}

function shortUrl(url: string): string {
  const path = url.replace(/^file:\/\//, '');
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) return path.slice(modules + 'node_modules/'.length);
  return path.startsWith('/') ? relative(process.cwd(), path) : path;
}

function packageOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const path = url.replace(/^file:\/\//, '');
  // The innermost package: mongoose/node_modules/mongodb/... is the driver's time, not mongoose's.
  const modules = path.lastIndexOf('node_modules/');
  const match = /^node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path.slice(modules));
  if (modules >= 0 && match !== null) return match[1]!;
  const own = /dist\/((?:apps|libs)\/[^/]+)/.exec(path);
  return own !== null ? own[1]! : path;
}
