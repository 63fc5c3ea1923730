import { Writer } from 'mustache';

/**
 * Why a Mustache template cannot be parsed, or undefined when it can. A throwaway writer, so
 * templates checked here are not cached for the life of the process.
 */
export function templateSyntaxError(template: string): string | undefined {
  try {
    new Writer().parse(template);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
