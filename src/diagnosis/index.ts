export * from './report.js';
export { diagnoseAgent, unreachableReport, type DiagnoseOptions } from './diagnose.js';
export { DEFAULT_THRESHOLDS, type Thresholds } from './thresholds.js';
export { type DiagnosisInput } from './input.js';
export { DIAG_ACTIONS, diagFollowUps, type DiagTarget } from './follow-ups.js';
export { DEPENDENCY_PATTERNS, matchDependencyPattern } from './dependency-patterns.js';
