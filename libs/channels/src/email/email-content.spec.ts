import type { DeliveryJob, EndpointTarget } from '../channel';
import { composeEmail } from './email-content';

function job(payload: Record<string, unknown>, template?: EndpointTarget['template']): DeliveryJob {
  return {
    messageId: 'msg_1',
    eventType: 'order.paid',
    payload,
    createdAt: new Date('2026-11-26T08:00:00.000Z'),
    endpoint: {
      id: 'ep_1',
      to: 'ops@example.com',
      headers: {},
      secrets: [],
      timeoutMs: 10_000,
      ...(template === undefined ? {} : { template }),
    },
  };
}

describe('composeEmail', () => {
  it('renders every part from the template, escaping only the html', () => {
    const content = composeEmail(
      job(
        { order: { id: 7 }, name: 'A & <B>' },
        {
          subject: 'Order {{payload.order.id}} for {{payload.name}}',
          text: 'Hello {{payload.name}}',
          html: '<p>Hello {{payload.name}}</p>',
        },
      ),
    );
    expect(content).toEqual({
      subject: 'Order 7 for A & <B>',
      text: 'Hello A & <B>',
      html: '<p>Hello A &amp; &lt;B&gt;</p>',
    });
  });

  it('takes subject, text and html from the payload when there is no template', () => {
    expect(composeEmail(job({ subject: 'S', text: 'T', html: '<i>H</i>' }))).toEqual({
      subject: 'S',
      text: 'T',
      html: '<i>H</i>',
    });
  });

  it('does not render payload strings as templates', () => {
    expect(composeEmail(job({ subject: '{{eventType}}', text: '{{x}}' }))).toEqual({
      subject: '{{eventType}}',
      text: '{{x}}',
    });
  });

  it('falls back to the event type and the pretty-printed payload', () => {
    const payload = { orderId: 1, lines: [{ sku: 'a' }] };
    expect(composeEmail(job(payload))).toEqual({
      subject: 'order.paid',
      text: JSON.stringify(payload, null, 2),
    });
  });

  it('chooses the subject and the body separately', () => {
    expect(composeEmail(job({ text: 'from payload' }, { subject: 'From template' }))).toEqual({
      subject: 'From template',
      text: 'from payload',
    });
    expect(
      composeEmail(job({ subject: 'from payload' }, { html: '<b>{{eventType}}</b>' })),
    ).toEqual({ subject: 'from payload', html: '<b>order.paid</b>' });
  });

  it('takes the whole body from the template when it has one, never mixing in the payload', () => {
    expect(composeEmail(job({ html: '<i>payload</i>' }, { text: 'template' }))).toEqual({
      subject: 'order.paid',
      text: 'template',
    });
  });

  it('ignores payload fields that are not strings', () => {
    expect(composeEmail(job({ subject: 5, text: { a: 1 } }))).toEqual({
      subject: 'order.paid',
      text: JSON.stringify({ subject: 5, text: { a: 1 } }, null, 2),
    });
  });

  it('keeps a rendered subject on one line', () => {
    const content = composeEmail(
      job({ name: 'x\r\nBcc: victim@example.com' }, { subject: 'Hi {{payload.name}}\n' }),
    );
    expect(content.subject).toBe('Hi x Bcc: victim@example.com');
  });
});
