// Lint rules: the recommended sets of ESLint and typescript-eslint, nothing exotic.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', '.venv/', 'bridge/', 'dist/', 'coverage/', '.run/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // The presentation seam (docs/internals.md): the domain produces view models and rich text; only
    // presenters (src/slack/presenters) and the roles know Slack.
    files: ['src/incidents/**', 'src/response/**', 'src/approvals/**', 'src/audit/**', 'src/diagnosis/**', 'src/view/**'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{
          regex: '(^|/)slack/',
          message: 'The domain does not import src/slack: return a view model or RichText (src/view) and let a presenter render it (docs/internals.md, "The presentation seam").',
        }],
      }],
    },
  },
);
