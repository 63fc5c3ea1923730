import mustache from 'mustache';

/**
 * How deep sections (`{{#name}}` and `{{^name}}`) may nest. Each level can repeat everything
 * inside it once per element of a list, so depth multiplies the work of one render; real
 * templates (an order, its items, their options) stay well within it.
 */
export const MAX_SECTION_DEPTH = 6;

/** A parsed Mustache token: [type, value, start, end, children?, ...]. */
type Token = [string, string, number, number, Token[]?, ...unknown[]];

/**
 * Why a Mustache template is refused, or undefined when it is accepted: it cannot be parsed, its
 * sections nest deeper than MAX_SECTION_DEPTH, or a section repeats inside a section of the same
 * name (`{{#items}}{{#items}}`: a list rendered once per element of itself, a square, and four deep
 * a fourth power). What this cannot see (nested sections over different long lists) the renderer's
 * budget stops (libs/channels render-template.ts). A throwaway writer, so templates checked here
 * are not cached for the life of the process.
 */
export function templateProblem(template: string): string | undefined {
  let tokens: Token[];
  try {
    tokens = new mustache.Writer().parse(template) as Token[];
  } catch (error) {
    return `is not a valid Mustache template: ${error instanceof Error ? error.message : String(error)}`;
  }
  return sectionProblem(tokens, [], 0);
}

function sectionProblem(
  tokens: readonly Token[],
  openSections: readonly string[],
  depth: number,
): string | undefined {
  for (const [type, name, , , children] of tokens) {
    if (type !== '#' && type !== '^') continue;
    if (depth + 1 > MAX_SECTION_DEPTH) {
      return `nests sections more than ${MAX_SECTION_DEPTH} deep (at {{${type}${name}}})`;
    }
    if (type === '#' && openSections.includes(name)) {
      return `repeats the section {{#${name}}} inside itself: every element would render the whole list again`;
    }
    const problem = sectionProblem(
      children ?? [],
      type === '#' ? [...openSections, name] : openSections,
      depth + 1,
    );
    if (problem !== undefined) return problem;
  }
  return undefined;
}
