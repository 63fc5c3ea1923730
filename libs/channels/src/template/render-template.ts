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
  constructor(message: string) {
    super(message);
    this.name = 'TemplateRenderError';
  }
}

/**
 * What one render may cost. A step is one list of tokens rendered (the template, or one pass of a
 * section: once per element of a list); output is the characters written. Sections over lists
 * multiply (four nested over 400 elements ask for 400^4 passes), so without a budget one message
 * can hold the event loop and the heap of a notifier shared by every app. Spending the whole
 * budget takes 30-190 ms of a core (docs/channels.md, "Template budget"); a render that needs
 * more fails.
 */
export interface RenderBudget {
  steps: number;
  outputChars: number;
}

export const RENDER_BUDGET: RenderBudget = { steps: 100_000, outputChars: 1_000_000 };

/** The render went over its budget: the delivery fails for good (the same payload would again). */
export class TemplateBudgetError extends TemplateRenderError {
  constructor(what: string, exceeded: string) {
    super(`the ${what} template exceeds the rendering budget: ${exceeded}`);
    this.name = 'TemplateBudgetError';
  }
}

class BudgetExceeded extends Error {}

/** What one render has spent so far. */
class Spending {
  private steps = 0;
  private output = 0;

  constructor(private readonly budget: RenderBudget) {}

  step(count: number): void {
    this.steps += count;
    if (this.steps > this.budget.steps) {
      throw new BudgetExceeded(
        `more than ${this.budget.steps} steps (sections repeat too often for this payload)`,
      );
    }
  }

  /** `value` may be undefined (a missing value): it writes nothing. */
  write(value: string | undefined): void {
    this.output += value?.length ?? 0;
    if (this.output > this.budget.outputChars) {
      throw new BudgetExceeded(`more than ${this.budget.outputChars} characters of output`);
    }
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

/**
 * Mustache's writer, charging every pass over a token list as a step and every value written as
 * output, so that a render stops as soon as it goes over its budget: every loop of a render (a
 * section over a list, nested ones) goes through renderTokens, and all output through the three
 * value methods. Rendering is synchronous, so one writer serves every render, one at a time.
 */
class BudgetedWriter extends Mustache.Writer {
  templateCache: Mustache.TemplateCache = new BoundedTemplateCache();
  private spending: Spending | undefined;

  renderWithin(
    budget: RenderBudget,
    template: string,
    view: unknown,
    options: Mustache.RenderOptions,
  ): string {
    this.spending = new Spending(budget);
    try {
      return this.render(template, view, undefined, options);
    } finally {
      this.spending = undefined;
    }
  }

  override renderTokens(
    tokens: string[][],
    context: Mustache.Context,
    partials?: Mustache.PartialsOrLookupFn,
    originalTemplate?: string,
    config?: Mustache.RenderOptions,
  ): string {
    this.spending?.step(Math.max(1, tokens.length));
    return super.renderTokens(tokens, context, partials, originalTemplate, config);
  }

  override escapedValue(
    token: string[],
    context: Mustache.Context,
    config?: Mustache.RenderOptions,
  ): string {
    return this.charge(super.escapedValue(token, context, config));
  }

  override unescapedValue(token: string[], context: Mustache.Context): string {
    return this.charge(super.unescapedValue(token, context));
  }

  override rawValue(token: string[]): string {
    return this.charge(super.rawValue(token));
  }

  /** Mustache's value methods return undefined for a missing value, whatever their types say. */
  private charge(value: string): string {
    this.spending?.write(value);
    return value;
  }
}

const writer = new BudgetedWriter();

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
 * shared by its templates. Throws TemplateRenderError for a template Mustache cannot parse, and
 * TemplateBudgetError for a render that goes over `budget`.
 */
export function renderTemplate(
  template: string,
  view: unknown,
  mode: TemplateMode,
  what: string = mode,
  budget: RenderBudget = RENDER_BUDGET,
): string {
  try {
    return writer.renderWithin(budget, template, view, { escape: ESCAPE[mode] });
  } catch (error) {
    if (error instanceof BudgetExceeded) throw new TemplateBudgetError(what, error.message);
    throw new TemplateRenderError(
      `the ${what} template cannot be rendered: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}
