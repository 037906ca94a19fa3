// ESLint: typescript-eslint's recommended type-aware rules, with promises that must not float.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'sdk/assemblyscript/**', 'templates/**', 'examples/**', 'specs/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
  {
    // Plain Node scripts (the benchmark's servers and clients, run as separate processes).
    files: ['**/*.mjs'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: Object.fromEntries(
        ['process', 'console', 'setTimeout', 'clearTimeout', 'setImmediate', 'setInterval', 'clearInterval', 'performance', 'Buffer', 'URL', 'TextEncoder', 'TextDecoder', 'queueMicrotask', 'WebAssembly'].map((name) => [name, 'readonly']),
      ),
    },
  },
);
