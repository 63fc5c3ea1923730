import { MAX_SECTION_DEPTH, templateProblem } from './template-syntax';

const nest = (names: readonly string[], inner = '.') =>
  names.map((n) => `{{#${n}}}`).join('') +
  inner +
  [...names]
    .reverse()
    .map((n) => `{{/${n}}}`)
    .join('');

describe('templateProblem', () => {
  it('accepts ordinary templates, lists within lists included', () => {
    expect(templateProblem('Order {{payload.id}}')).toBeUndefined();
    expect(
      templateProblem(
        '{{#payload.items}}{{name}}: {{#options}}{{label}}{{/options}}{{/payload.items}}{{^payload.items}}none{{/payload.items}}',
      ),
    ).toBeUndefined();
  });

  it('refuses what cannot be parsed', () => {
    expect(templateProblem('{{#a}} unclosed')).toMatch(/^is not a valid Mustache template: /);
  });

  it('refuses a section repeated inside itself, however deep', () => {
    expect(templateProblem(nest(['payload.a', 'payload.a']))).toMatch(
      /repeats the section \{\{#payload.a\}\} inside itself/,
    );
    expect(templateProblem(nest(['a', 'b', 'a']))).toMatch(/\{\{#a\}\} inside itself/);
    // An inverted section renders at most once: not a repetition.
    expect(templateProblem('{{#a}}{{^a}}none{{/a}}{{/a}}')).toBeUndefined();
  });

  it(`refuses sections nested more than ${MAX_SECTION_DEPTH} deep`, () => {
    const names = Array.from({ length: MAX_SECTION_DEPTH }, (_, i) => `s${i}`);
    expect(templateProblem(nest(names))).toBeUndefined();
    expect(templateProblem(nest([...names, 'one.more']))).toMatch(
      new RegExp(`more than ${MAX_SECTION_DEPTH} deep \\(at \\{\\{#one.more\\}\\}\\)`),
    );
  });
});
