import * as Mustache from 'mustache';

/** What a template sees: `{{payload.order.id}}`, `{{eventType}}`, `{{messageId}}`. */
export interface TemplateView {
  payload: Record<string, unknown>;
  eventType: string;
  messageId: string;
}

/**
 * `html` escapes every `{{placeholder}}` for HTML (`{{{triple}}}` opts out); `text` leaves
 * values as they are (plain text and subjects are not HTML).
 */
export type TemplateMode = 'text' | 'html';

export class TemplateRenderError extends Error {
  constructor(what: string, cause: unknown) {
    super(
      `the ${what} template cannot be rendered: ${cause instanceof Error ? cause.message : String(cause)}`,
    );
    this.name = 'TemplateRenderError';
  }
}

const CACHED_TEMPLATES = 1_000;

/** Mustache's own cache keeps every template forever; endpoints come and go, so this one is bounded. */
class BoundedTemplateCache implements Mustache.TemplateCache {
  private entries = new Map<string, string>();

  get(key: string): string | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }

  set(key: string, value: string): void {
    this.entries.set(key, value);
    if (this.entries.size > CACHED_TEMPLATES) {
      this.entries.delete(this.entries.keys().next().value!);
    }
  }

  clear(): void {
    this.entries.clear();
  }
}

class BoundedWriter extends Mustache.Writer {
  templateCache: Mustache.TemplateCache = new BoundedTemplateCache();
}

const writer = new BoundedWriter();

/** Objects and arrays render as JSON rather than "[object Object]". */
function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) return JSON.stringify(value);
  return String(value);
}

const ESCAPE: Record<TemplateMode, (value: unknown) => string> = {
  text: stringify,
  html: (value) => Mustache.escape(stringify(value)),
};

/**
 * Plain objects are copied without a prototype, so a placeholder reaches the payload's own data
 * and nothing inherited (`{{payload.constructor}}` renders nothing).
 */
function withoutPrototypes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPrototypes);
  if (typeof value !== 'object' || value === null) return value;
  const copy = Object.create(null) as Record<string, unknown>;
  for (const [key, entry] of Object.entries(value)) copy[key] = withoutPrototypes(entry);
  return copy;
}

export function templateView(view: TemplateView): unknown {
  return withoutPrototypes(view);
}

/**
 * Renders a Mustache template. `view` is what `templateView` returns, built once per message and
 * shared by its templates. Throws TemplateRenderError for a template Mustache cannot parse.
 */
export function renderTemplate(
  template: string,
  view: unknown,
  mode: TemplateMode,
  what: string = mode,
): string {
  try {
    return writer.render(template, view, undefined, { escape: ESCAPE[mode] });
  } catch (error) {
    throw new TemplateRenderError(what, error);
  }
}
