import {
  RENDER_BUDGET,
  renderTemplate,
  TemplateBudgetError,
  TemplateRenderError,
  templateView,
} from './render-template';

const view = templateView({
  payload: {
    order: { id: 42, total: '9.90', items: [{ name: 'tea' }, { name: 'cake' }] },
    customer: { name: '<b>Zoë</b> & "friends"' },
    paid: true,
    note: null,
  },
  eventType: 'order.paid',
  messageId: 'msg_1',
});

describe('renderTemplate', () => {
  it('replaces nested payload paths', () => {
    expect(
      renderTemplate('Order {{payload.order.id}} of {{payload.order.total}}', view, 'text'),
    ).toBe('Order 42 of 9.90');
  });

  it('reaches array elements by index', () => {
    expect(renderTemplate('{{payload.order.items.1.name}}', view, 'text')).toBe('cake');
  });

  it('offers the event type and message id', () => {
    expect(renderTemplate('{{eventType}} {{messageId}}', view, 'text')).toBe('order.paid msg_1');
  });

  it('HTML-escapes placeholders in html', () => {
    expect(renderTemplate('<p>Hi {{payload.customer.name}}</p>', view, 'html')).toBe(
      '<p>Hi &lt;b&gt;Zoë&lt;&#x2F;b&gt; &amp; &quot;friends&quot;</p>',
    );
  });

  it('leaves text and subjects unescaped', () => {
    expect(renderTemplate('Hi {{payload.customer.name}}', view, 'text')).toBe(
      'Hi <b>Zoë</b> & "friends"',
    );
  });

  it('lets an html template opt out of escaping with triple braces', () => {
    expect(renderTemplate('{{{payload.customer.name}}}', view, 'html')).toBe(
      '<b>Zoë</b> & "friends"',
    );
  });

  it('renders a missing or null path as nothing', () => {
    expect(renderTemplate('[{{payload.nope.deeper}}][{{payload.note}}]', view, 'text')).toBe(
      '[][]',
    );
  });

  it('renders objects as JSON, escaped in html', () => {
    expect(renderTemplate('{{payload.order.items.0}}', view, 'text')).toBe('{"name":"tea"}');
    expect(renderTemplate('{{payload.order.items.0}}', view, 'html')).toBe(
      '{&quot;name&quot;:&quot;tea&quot;}',
    );
  });

  it('renders booleans and numbers', () => {
    expect(renderTemplate('{{payload.paid}} {{payload.order.id}}', view, 'html')).toBe('true 42');
  });

  it('iterates sections', () => {
    expect(
      renderTemplate('{{#payload.order.items}}- {{name}}\n{{/payload.order.items}}', view, 'text'),
    ).toBe('- tea\n- cake\n');
  });

  it('reaches nothing inherited from Object.prototype', () => {
    expect(
      renderTemplate('[{{payload.constructor}}][{{payload.order.toString}}]', view, 'text'),
    ).toBe('[][]');
  });

  it('throws TemplateRenderError naming the template for an unclosed tag', () => {
    expect(() => renderTemplate('Hi {{payload.name', view, 'text', 'subject')).toThrow(
      TemplateRenderError,
    );
    expect(() => renderTemplate('Hi {{payload.name', view, 'text', 'subject')).toThrow(
      /^the subject template cannot be rendered: Unclosed tag/,
    );
  });

  it('renders many distinct templates (the cache is bounded, not a leak)', () => {
    for (let i = 0; i < 2_500; i++) {
      expect(renderTemplate(`${i}:{{payload.order.id}}`, view, 'text')).toBe(`${i}:42`);
    }
  });
});

describe('renderTemplate within its budget', () => {
  const list = Array.from({ length: 400 }, (_, i) => i);
  const bombView = templateView({
    payload: { a: list, b: list, c: list, d: list, big: 'x'.repeat(100_000) },
    eventType: 'order.paid',
    messageId: 'msg_1',
  });

  it('stops four nested sections over 400 elements at the step budget, quickly', () => {
    const started = performance.now();
    expect(() =>
      renderTemplate(
        '{{#payload.a}}{{#payload.b}}{{#payload.c}}{{#payload.d}}.{{/payload.d}}{{/payload.c}}{{/payload.b}}{{/payload.a}}',
        bombView,
        'text',
      ),
    ).toThrow(
      new TemplateBudgetError(
        'text',
        `more than ${RENDER_BUDGET.steps} steps (sections repeat too often for this payload)`,
      ),
    );
    // Generous for a loaded machine: the budget is about 40 ms of work.
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('stops a few large values repeated past the output budget', () => {
    expect(() =>
      renderTemplate('{{#payload.a}}{{payload.big}}{{/payload.a}}', bombView, 'html', 'html'),
    ).toThrow(/^the html template exceeds the rendering budget: more than 1000000 characters/);
  });

  it('is a TemplateRenderError, so the channels fail the delivery for good', () => {
    const budget = { steps: 3, outputChars: 100 };
    expect(() =>
      renderTemplate('{{#payload.a}}.{{/payload.a}}', bombView, 'text', 'text', budget),
    ).toThrow(TemplateRenderError);
  });

  it('renders what fits, counting exactly what it spends', () => {
    const small = templateView({ payload: { a: [1, 2, 3] }, eventType: 'e', messageId: 'm' });
    // The template, then one pass per element: 1 + 3 token lists; 3 characters written.
    const exact = { steps: 1 + 3, outputChars: 3 };
    expect(renderTemplate('{{#payload.a}}{{.}}{{/payload.a}}', small, 'text', 'text', exact)).toBe(
      '123',
    );
    expect(() =>
      renderTemplate('{{#payload.a}}{{.}}{{/payload.a}}', small, 'text', 'text', {
        ...exact,
        outputChars: 2,
      }),
    ).toThrow(TemplateBudgetError);
  });

  it('starts every render with the whole budget', () => {
    const budget = { steps: 10, outputChars: 10 };
    for (let i = 0; i < 5; i++) {
      expect(renderTemplate('{{payload.a.0}}', bombView, 'text', 'text', budget)).toBe('0');
    }
  });
});
