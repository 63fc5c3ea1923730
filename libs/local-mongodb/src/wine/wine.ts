/** Debian's wine64, which runs the Windows mongod.exe, and how we call it. */

export const WINE = '/usr/lib/wine/wine64';
export const WINESERVER = '/usr/lib/wine/wineserver';

export function wineEnv(prefix: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all' };
  // mongod is a console program; with a display wine would open desktop windows.
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  return env;
}

/** A Linux path as a program under wine sees it (Z: is / in wine). */
export function toWinePath(linuxPath: string): string {
  return `Z:${linuxPath.replaceAll('/', '\\')}`;
}
