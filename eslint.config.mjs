// @ts-check
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.data/', '*.js', '*.mjs'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/explicit-module-boundary-types': 'off',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/libs/*/src/*', '@app/*/*'],
              message: 'Import libs through their @app/<lib> entry point.',
            },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through @app/config.' },
      ],
    },
  },
  {
    // The config lib parses the environment; the local MongoDB launcher owns mongodb-memory-server's;
    // the examples' config module is their one reader of it.
    files: ['libs/config/**', 'libs/local-mongodb/**', 'test/**', 'examples/config.ts', 'bench/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    // Tests read JSON answers: untyped by nature, checked by the assertions themselves.
    files: ['test/**', '**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The operator console: a React app for the browser (apps/console/tsconfig.json), not Nest.
    files: ['apps/console/**/*.{ts,tsx,mts}'],
    ...reactHooks.configs.flat.recommended,
  },
  {
    // It takes the API's types from the contracts, but no values: those would bundle zod and more.
    // One exception: the zod-free event-type matching rule, imported by path, so the console
    // shows which endpoints subscribe to an event type exactly as the notifier fans out.
    files: ['apps/console/**/*.{ts,tsx,mts}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/libs/*/src/*', '!**/libs/contracts/src/event-type', '@app/*/*'],
              message: 'Import libs through their @app/<lib> entry point.',
            },
          ],
        },
      ],
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@app/*'],
              allowTypeImports: true,
              message: 'The console imports only types from the libs (`import type`).',
            },
          ],
        },
      ],
    },
  },
  prettier,
);
