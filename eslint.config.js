import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', '.cache/', 'coverage/', 'test-results/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'mongoose', message: 'Only src/storage/ talks to mongoose.' }] },
      ],
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read settings through src/config.ts.' }],
    },
  },
  {
    files: ['src/storage/**', 'test/**', 'scripts/**'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src/config.ts', 'test/**', 'scripts/**', 'src/storage/embedded-database.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['flows/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['express', 'mongoose', 'twilio', '**/storage/**', '**/http/**', '**/twiml/**'], message: 'flows/ holds machines only.' }] },
      ],
    },
  },
);
