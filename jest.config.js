/** Unit specs sit beside the code; integration (`*.int-spec.ts`) and end-to-end (`test/`) specs
 * need the real RabbitMQ and MongoDB, which the e2e project's global setup provides. */
const shared = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': '@swc/jest' },
  moduleNameMapper: { '^@app/([a-z-]+)$': '<rootDir>/libs/$1/src' },
};

module.exports = {
  testTimeout: 60000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    {
      ...shared,
      displayName: 'e2e',
      testMatch: ['<rootDir>/{apps,libs}/**/*.int-spec.ts', '<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
