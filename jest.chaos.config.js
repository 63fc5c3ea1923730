/** `npm run test:chaos`: the chaos suite (test/chaos). Not part of `npm test`: it builds the
 * project, runs real processes and a RabbitMQ node and a MongoDB of its own, and takes minutes. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': '@swc/jest' },
  moduleNameMapper: { '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src' },
  testMatch: ['<rootDir>/test/chaos/**/*.chaos-spec.ts'],
  testTimeout: 600000,
};
