import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerPolicies, setPolicyArgs } from './broker-policies';

describe('brokerPolicies', () => {
  const operations = readFileSync(join(__dirname, '../../../docs/operations.md'), 'utf8');

  it.each(brokerPolicies().map((policy) => [policy.name, policy] as const))(
    'docs/operations.md gives operators the command for %s',
    (_name, policy) => {
      const [, , , ...rest] = setPolicyArgs(policy);
      const [applyTo, queues, name, pattern, definition] = rest;
      expect(operations).toContain(`${applyTo} ${queues} ${name} '${pattern}'`);
      expect(operations).toContain(`'${definition}'`);
    },
  );

  it('sets the vhost it is given', () => {
    expect(setPolicyArgs(brokerPolicies()[0]!, 'prod').slice(0, 3)).toEqual([
      'set_policy',
      '-p',
      'prod',
    ]);
  });
});
