/** Outbox keys of a plan's messages (the plan itself, and its outcome in the thread). */
export const planMessageKey = (planId: string): string => `plan-${planId}`;
export const outcomeMessageKey = (planId: string): string => `outcome-${planId}`;
