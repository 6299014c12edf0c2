// Flat config: typescript-eslint's type-aware recommended rules for everything we write.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // test/infra/audit-results.js: plain CommonJS jest loads untransformed (its testResultsProcessor), like the configs.
  {
    ignores: [
      'node_modules/',
      'dist/',
      'coverage/',
      '.stack/',
      '*.config.js',
      '*.config.mjs',
      'test/infra/audit-results.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Handlers that satisfy a Promise-returning interface (kafkajs eachMessage, stop()) needn't await.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
