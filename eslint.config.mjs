// ESLint 9 flat config: eslint:recommended, typescript-eslint, prettier, and
// @jupyter/eslint-plugin's translation rules (every user-visible string through
// the translator, as literals the extractor can read). `jlpm lint:check`
// allows no warning.
import js from '@eslint/js';
import jupyter from '@jupyter/eslint-plugin';
import prettierRecommended from 'eslint-plugin-prettier/recommended';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules',
      'dist',
      'coverage',
      '**/*.d.ts',
      'lib',
      'tests',
      'benchmarks',
      '.venv',
      'jupyterlab_smcost',
      '*.config.js',
      '*.config.mjs',
      'src/api.ts',
      'docs/_build'
    ]
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  // before the rules below: eslint-config-prettier turns off rules they turn on
  prettierRecommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: {
        project: 'tsconfig.eslint.json',
        tsconfigRootDir: import.meta.dirname
      }
    },
    plugins: { jupyter },
    rules: {
      '@typescript-eslint/naming-convention': [
        'error',
        {
          selector: 'interface',
          format: ['PascalCase'],
          custom: { regex: '^I[A-Z]', match: true }
        }
      ],
      '@typescript-eslint/no-unused-vars': ['warn', { args: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-namespace': 'off',
      '@typescript-eslint/no-use-before-define': 'off',
      curly: ['error', 'all'],
      eqeqeq: 'error',
      'prefer-arrow-callback': 'error',
      'jupyter/no-untranslated-string': 'error',
      'jupyter/no-dynamic-translation': 'error',
      'jupyter/no-translation-concatenation': 'error',
      'jupyter/incorrect-translator-usage': 'error'
    }
  },
  {
    // tests assert the English text, build fake replies and fake translators
    files: ['src/__tests__/**'],
    rules: {
      'jupyter/no-untranslated-string': 'off',
      'jupyter/no-dynamic-translation': 'off'
    }
  }
);
