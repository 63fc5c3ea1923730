import { effectiveQuotas, type AppQuotas, type AppView } from '@app/contracts';
import type { AppEntity } from '@app/dal';

/** An app as the API shows it: the quotas in force (its own or the defaults), never its key hash. */
export function presentApp(app: AppEntity, defaults: AppQuotas): AppView {
  return {
    id: app._id,
    name: app.name,
    createdAt: app.createdAt.toISOString(),
    quotas: effectiveQuotas(app.quotas, defaults),
    brokerUser: app.brokerUser ?? null,
    requireRegisteredEventTypes: app.requireRegisteredEventTypes === true,
  };
}
