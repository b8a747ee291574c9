import type { DecisionMetrics } from "./observer.ts";

/** Metrics switched off (`metrics: { enabled: false }`, or a platform without an emitter). */
export const noMetrics: DecisionMetrics = Object.freeze({ observe: () => {}, flush: () => Promise.resolve() });
