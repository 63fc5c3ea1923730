import type { DeliveryJob } from '../channel';
import { renderTemplate, templateView } from '../template/render-template';

export interface EmailContent {
  subject: string;
  text?: string;
  html?: string;
}

const MAX_SUBJECT_LENGTH = 998;

function stringField(payload: Record<string, unknown>, field: string): string | undefined {
  const value = payload[field];
  return typeof value === 'string' ? value : undefined;
}

/** A header cannot hold a line break; one in a rendered subject would end the header early. */
function oneLine(subject: string): string {
  return subject
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .trim()
    .slice(0, MAX_SUBJECT_LENGTH);
}

/**
 * What an email says. The subject and the body are chosen separately, each from the first source
 * that has it: the endpoint's template (rendered), then the payload's own `subject` or
 * `text`/`html` strings (used as they are), then the event type and the pretty-printed payload.
 * A body is text and html together from one source, never one from each.
 */
export function composeEmail(job: DeliveryJob): EmailContent {
  const template = job.endpoint.template ?? {};
  const view = templateView({
    payload: job.payload,
    eventType: job.eventType,
    messageId: job.messageId,
  });
  const render = (source: string, mode: 'text' | 'html', what: string) =>
    renderTemplate(source, view, mode, what);

  const subject =
    template.subject !== undefined
      ? render(template.subject, 'text', 'subject')
      : (stringField(job.payload, 'subject') ?? job.eventType);

  let body: Omit<EmailContent, 'subject'>;
  if (template.text !== undefined || template.html !== undefined) {
    body = {
      ...(template.text === undefined ? {} : { text: render(template.text, 'text', 'text') }),
      ...(template.html === undefined ? {} : { html: render(template.html, 'html', 'html') }),
    };
  } else {
    const text = stringField(job.payload, 'text');
    const html = stringField(job.payload, 'html');
    body =
      text === undefined && html === undefined
        ? { text: JSON.stringify(job.payload, null, 2) }
        : { ...(text === undefined ? {} : { text }), ...(html === undefined ? {} : { html }) };
  }
  return { subject: oneLine(subject), ...body };
}
