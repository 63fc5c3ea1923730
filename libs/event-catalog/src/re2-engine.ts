import type { RegExpEngine } from 'ajv/dist/types';
import { RE2 } from 're2-wasm';

/** What re2-wasm keeps outside the JavaScript heap: freed only by delete(), never by the GC. */
interface WasmBacked {
  wrapper?: { delete(): void };
}

/**
 * A regular-expression engine for ajv (`code.regExp`) that runs tenant patterns on RE2, whose
 * matching is linear in the input: `^(a+)+$` against a long string of "a"s followed by "b", which
 * takes JavaScript's backtracking engine years, takes RE2 microseconds. RE2 has no lookaround
 * and no backreferences; a schema using them is refused when it is stored.
 *
 * re2-wasm rather than the native `re2` package: it is WebAssembly inside the npm package, so it
 * installs anywhere with no download from elsewhere and no compiler (the native one fetches a
 * prebuilt binary from GitHub or builds RE2 with node-gyp for minutes). Each engine remembers the
 * expressions it made, whose memory lives in WebAssembly: dispose() frees them once the schema
 * compiled with it is no longer used.
 */
export class Re2Engine {
  private readonly made: RE2[] = [];
  readonly engine: RegExpEngine;

  constructor() {
    const engine = (pattern: string, flags: string) => {
      const expression = new RE2(pattern, flags.includes('u') ? flags : `${flags}u`);
      this.made.push(expression);
      return expression;
    };
    // Ajv names the engine this way in standalone code, which is never generated here.
    this.engine = Object.assign(engine, { code: 'RE2' });
  }

  dispose(): void {
    for (const expression of this.made.splice(0)) {
      (expression as unknown as WasmBacked).wrapper?.delete();
    }
  }
}

/** Why RE2 refuses this pattern, or undefined when it takes it. */
export function re2Refusal(pattern: string): string | undefined {
  try {
    const expression = new RE2(pattern, 'u');
    (expression as unknown as WasmBacked).wrapper?.delete();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
