/** Poisoning attacks on inverse-Ising estimators: budgets, surrogates, attacks (see attacks.ts for the threat model). */
export * from './budget.js';
export * from './estimators.js';
export * from './surrogate.js';
export * from './attacks.js';
